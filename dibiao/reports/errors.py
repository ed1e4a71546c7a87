from dibiao.core.errors import DomainError


class ReportError(DomainError):
    pass
