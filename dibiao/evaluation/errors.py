from dibiao.core.errors import DomainError


class EvaluationError(DomainError):
    pass
