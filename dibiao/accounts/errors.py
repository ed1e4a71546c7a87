from dibiao.core.errors import DomainError


class AccountsError(DomainError):
    pass
