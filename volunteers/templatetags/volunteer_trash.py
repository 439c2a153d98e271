"""`{% may_delete obj as can_delete %}`: whether the signed-in user may move a volunteer or a service activity to the
回收站 (the 创建办 and 管理员 of its unit, as volunteers/trash_views.py decides)."""

from django import template
from django.db import models

from organizations.scoping import can_administer

register = template.Library()


@register.simple_tag(takes_context=True)
def may_delete(context: template.Context, obj: models.Model) -> bool:
    return can_administer(context["request"].user, obj.organization)
