from dibiao.core.errors import DomainError


class ApplicationsError(DomainError):
    pass
