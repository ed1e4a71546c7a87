from dibiao.core.errors import DomainError


class BrandError(DomainError):
    pass
