from dibiao.core.errors import DomainError


class ProjectsError(DomainError):
    pass
