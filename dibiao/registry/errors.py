from dibiao.core.errors import DomainError


class RegistryError(DomainError):
    pass
