from dibiao.core.errors import DomainError


class TraceError(DomainError):
    pass
