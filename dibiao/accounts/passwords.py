from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from dibiao.accounts.policy import current_policy


class PolicyMinimumLengthValidator:
    """Django's minimum-length rule, with the length taken from the security policy (≥ 8)."""

    def validate(self, password: str, user: Any = None) -> None:
        minimum = current_policy().password_min_length
        if len(password) < minimum:
            raise ValidationError(
                "密码太短，至少需要 %(min_length)d 个字符。",
                code="password_too_short",
                params={"min_length": minimum},
            )

    def get_help_text(self) -> str:
        return f"密码至少需要 {current_policy().password_min_length} 个字符。"
