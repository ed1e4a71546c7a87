from dibiao.core.errors import DomainError


class ProducersError(DomainError):
    pass
