from dibiao.core.errors import DomainError


class ArchiveError(DomainError):
    pass
