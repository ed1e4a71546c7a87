from dibiao.core.errors import DomainError


class ProductionError(DomainError):
    pass
