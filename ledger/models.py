"""The ledger (台账): one dossier per activity (一事一档) and its evidence."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Task
from organizations.models import Organization


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回")
    ARCHIVED = "archived", _("已归档")


class EventCategory(models.TextChoices):
    MEETING = "meeting", _("会议")
    STUDY = "study", _("学习教育")
    VOLUNTEER = "volunteer", _("志愿服务")
    PUBLICITY = "publicity", _("宣传")
    CULTURE = "culture", _("文体活动")
    TRAINING = "training", _("培训")
    INSPECTION = "inspection", _("检查")
    OTHER = "other", _("其他")


class Event(models.Model):
    """The dossier of one activity."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="events")
    organization = models.ForeignKey(
        Organization, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="events"
    )
    title = models.CharField(_("活动名称"), max_length=200)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    category = models.CharField(_("类别"), max_length=32, choices=EventCategory.choices, default=EventCategory.OTHER)
    participant_count = models.PositiveIntegerField(_("参加人数"), null=True, blank=True)
    description = models.TextField(_("活动内容"), blank=True)
    tasks = models.ManyToManyField(Task, verbose_name=_("关联任务"), blank=True, related_name="events")
    archive_number = models.CharField(_("档号"), max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT)
    return_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("活动档案")
        verbose_name_plural = _("活动档案")
        ordering = ["-start_date", "-pk"]
        indexes = [models.Index(fields=["campaign", "organization", "start_date"])]

    def __str__(self) -> str:
        return self.title
