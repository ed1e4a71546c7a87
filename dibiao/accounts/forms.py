from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from dibiao.accounts.choices import SELF_SERVICE_ORGANIZATION_KINDS, OrganizationKind, Role
from dibiao.accounts.models import Organization, SecurityPolicy
from dibiao.accounts.policy import current_policy
from dibiao.core.models import Division

GENERIC_LOGIN_ERROR = "用户名或密码错误，或账号已被锁定。连续失败多次后账号将被暂时锁定。"


class LoginForm(AuthenticationForm):
    # One message for a wrong password, an unknown user, a disabled or a locked account: the
    # page must not tell an attacker which accounts exist or are locked.
    error_messages = {"invalid_login": GENERIC_LOGIN_ERROR, "inactive": GENERIC_LOGIN_ERROR}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"


class PasswordPairForm(forms.Form):
    password1 = forms.CharField(label="新密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minimum = current_policy().password_min_length
        self.fields[
            "password1"
        ].help_text = f"至少 {minimum} 个字符，不能与用户名相近，不能是常见密码或纯数字。"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return data


class UserCreateForm(PasswordPairForm):
    username = forms.RegexField(
        label="用户名",
        max_length=150,
        regex=r"^[A-Za-z0-9_.@-]+$",
        error_messages={"invalid": "用户名只能包含字母、数字和 _ . @ -。"},
    )
    full_name = forms.CharField(label="姓名", max_length=50, required=False)
    phone = forms.RegexField(
        label="手机号",
        max_length=20,
        required=False,
        regex=r"^[0-9+\- ]{5,20}$",
        error_messages={"invalid": "请输入有效的电话号码。"},
    )
    email = forms.EmailField(label="电子邮箱", required=False)
    field_order = ["username", "full_name", "phone", "email", "password1", "password2"]


class MembershipGrantForm(forms.Form):
    organization = forms.ModelChoiceField(
        label="所在机构",
        queryset=Organization.objects.select_related("division").order_by("division__code", "name"),
    )
    role = forms.ChoiceField(label="角色", choices=Role.choices)


class UnlockForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)


class SecurityPolicyForm(forms.ModelForm[SecurityPolicy]):
    class Meta:
        model = SecurityPolicy
        fields = ["failure_limit", "lockout_minutes", "idle_timeout_minutes", "password_min_length"]


class OrganizationForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = [
            "name",
            "kind",
            "division",
            "credit_code",
            "contact",
            "phone",
            "address",
            "is_active",
        ]

    def __init__(
        self, *args: Any, divisions: Any = None, government_kinds: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        division_field = cast(forms.ModelChoiceField, self.fields["division"])
        division_field.queryset = divisions if divisions is not None else Division.objects.none()
        kind_field = cast(forms.ChoiceField, self.fields["kind"])
        # Only the province sets up government bodies; a county adds producers, labs and others.
        kind_field.choices = [
            (k, label)
            for k, label in OrganizationKind.choices
            if government_kinds
            or k in SELF_SERVICE_ORGANIZATION_KINDS
            or (self.instance.pk and self.instance.kind == k)
        ]
