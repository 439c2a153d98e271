from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from .channels import WebhookNotAllowed, validate_webhook_url
from .models import Kind, RobotVendor

PREFERENCE_KINDS = (Kind.REMINDER, Kind.OVERDUE, Kind.URGENT, Kind.DIGEST)


class RobotForm(forms.Form):
    organization = forms.ModelChoiceField(label="所属组织", queryset=None, empty_label=None)
    name = forms.CharField(label="名称", max_length=100)
    vendor = forms.ChoiceField(label="类型", choices=RobotVendor.choices)
    webhook_url = forms.CharField(
        label="Webhook 地址", max_length=500, help_text="在群设置 → 群机器人中复制；企业微信或钉钉的 https 地址"
    )
    secret = forms.CharField(
        label="加签密钥",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="钉钉机器人选择“加签”时填写；修改时留空表示不变",
    )
    enabled = forms.BooleanField(label="启用发送", required=False)

    def __init__(self, *args: object, organizations: QuerySet, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.editing = editing
        if editing:
            self.fields["organization"].disabled = True

    def clean(self) -> dict:
        data = super().clean()
        url, vendor = data.get("webhook_url"), data.get("vendor")
        if url and vendor:
            try:
                validate_webhook_url(url, vendor)
            except WebhookNotAllowed as exc:
                self.add_error("webhook_url", str(exc))
        if vendor == RobotVendor.DINGTALK and not data.get("secret") and not self.editing:
            self.add_error("secret", "钉钉机器人需要填写加签密钥。")
        return data
