"""Coded domain errors. A service raises one; the API turns it into {"code", "message"} with
its HTTP status, and a page shows the message."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(
        self, code: str, message: str, *, status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # Seconds a client should wait before trying again (429 answers carry Retry-After).
        self.retry_after = retry_after
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class NotFoundError(DomainError):
    """Also what another scope's object is: it must not be told apart from a missing one."""

    status = 404

    def __init__(self, message: str = "未找到该记录。") -> None:
        super().__init__("not_found", message)


class ForbiddenError(DomainError):
    status = 403

    def __init__(self, message: str = "没有执行此操作的权限。") -> None:
        super().__init__("permission_denied", message)


class ConflictError(DomainError):
    status = 409
