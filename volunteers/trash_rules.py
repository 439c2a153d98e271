"""What of the volunteers goes to the 回收站 (see trash/registry.py): a volunteer, a service activity, with their
service records."""

from trash.registry import register

from .models import ServiceActivity, Volunteer

register(Volunteer, kind="志愿者", organization=lambda v: v.organization, title=lambda v: v.name)
register(ServiceActivity, kind="志愿服务活动", organization=lambda a: a.organization, title=lambda a: a.title)
