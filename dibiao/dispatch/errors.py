from dibiao.core.errors import DomainError


class DispatchError(DomainError):
    pass
