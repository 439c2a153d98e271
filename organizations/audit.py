"""The one audit trail. Services of every app call `audit_record` inside their transaction."""

from typing import Any

from django.db import models

from .models import AuditEntry, Organization, User

ACTION_LABELS = {
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "restore": "恢复",
    "purge": "彻底删除",
    "withdraw": "撤档",
    "grant": "授予角色",
    "revoke": "撤销角色",
    "password_reset": "重置密码",
    "move": "调整上级",
    "confirm": "确认",
    "return": "退回",
    "import": "导入",
    "lock": "定稿",
    "refused": "拒绝访问",
}


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    organization: Organization | None = None,
    details: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Record one action. Pass `obj` (before deleting it) or the object_* fields."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        organization=organization,
        details=details or {},
    )
