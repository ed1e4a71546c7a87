from dibiao.core.errors import DomainError


class DisclosureError(DomainError):
    pass
