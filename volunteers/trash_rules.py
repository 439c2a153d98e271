"""What of the volunteers goes to the 回收站 (see trash/registry.py): a volunteer, a service activity, with their
service records."""

from trash.registry import link, register

from .models import ServiceActivity, ServiceRecord, Volunteer

register(Volunteer, kind="志愿者", organization=lambda v: v.organization, title=lambda v: v.name)
register(ServiceActivity, kind="志愿服务活动", organization=lambda a: a.organization, title=lambda a: a.title)
# A service record belongs to a volunteer and an activity. Restoring one whose other end was purged leaves the
# record out (the purged one's delete would have taken it); while that end is still in the 回收站 the restore asks
# for it first.
link(ServiceRecord, purged_only=True)
