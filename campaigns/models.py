"""Campaigns: the plan, its phases, the leadership group, the task tree and progress reports."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class CampaignLevel(models.TextChoices):
    COUNTY = "county", _("县级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    NATIONAL = "national", _("全国")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Campaign(models.Model):
    unit = models.ForeignKey(
        Organization, verbose_name=_("创建单位"), on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=16, choices=CampaignLevel.choices, default=CampaignLevel.CITY)
    start_year = models.PositiveSmallIntegerField(_("起始年度"))
    end_year = models.PositiveSmallIntegerField(_("结束年度"))
    status = models.CharField(_("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    guiding_idea = models.TextField(_("指导思想"), blank=True)
    goals = models.TextField(_("创建目标"), blank=True)
    plan_text = models.TextField(_("方案原文"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("创建活动")
        verbose_name_plural = _("创建活动")
        ordering = ["-start_year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_year__gte=models.F("start_year")), name="campaign_years_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("阶段名称"), max_length=100)
    start = models.DateField(_("开始日期"), null=True, blank=True)
    end = models.DateField(_("结束日期"), null=True, blank=True)
    description = models.TextField(_("工作内容"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("实施阶段")
        verbose_name_plural = _("实施阶段")
        ordering = ["campaign", "order", "start"]

    def __str__(self) -> str:
        return self.name


class LeadershipRole(models.TextChoices):
    LEADER = "leader", _("组长")
    DEPUTY = "deputy", _("副组长")
    MEMBER = "member", _("成员")
    OFFICE_DIRECTOR = "office_director", _("办公室主任")
    LIAISON = "liaison", _("联络员")


class LeadershipMember(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="leadership"
    )
    name = models.CharField(_("姓名或职务（原文）"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), null=True, blank=True, on_delete=models.SET_NULL
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("所在组织"), null=True, blank=True, on_delete=models.SET_NULL
    )
    role = models.CharField(_("领导小组职务"), max_length=20, choices=LeadershipRole.choices)
    duty = models.CharField(_("职责"), max_length=500, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("领导小组成员")
        verbose_name_plural = _("领导小组成员")
        ordering = ["campaign", "order"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Recurrence(models.TextChoices):
    ONCE = "once", _("一次性")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")
    ONGOING = "ongoing", _("常态化")


class TaskStatus(models.TextChoices):
    TODO = "todo", _("未开始")
    DOING = "doing", _("进行中")
    DONE = "done", _("已完成")


class Task(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", verbose_name=_("上级条目"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    number = models.CharField(_("编号（原文）"), max_length=50, blank=True)
    title = models.CharField(_("任务"), max_length=500)
    content = models.TextField(_("具体内容"), blank=True)
    lead_units = models.ManyToManyField(Organization, verbose_name=_("牵头单位"), blank=True, related_name="led_tasks")
    cooperating_units = models.ManyToManyField(
        Organization, verbose_name=_("配合单位"), blank=True, related_name="cooperating_tasks"
    )
    responsible_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), blank=True, related_name="responsible_tasks"
    )
    phase = models.ForeignKey(
        Phase, verbose_name=_("所属阶段"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    recurrence = models.CharField(_("频次"), max_length=16, choices=Recurrence.choices, default=Recurrence.ONCE)
    target_text = models.CharField(_("目标（原文）"), max_length=200, blank=True)
    target_value = models.DecimalField(_("目标值"), max_digits=12, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField(_("目标单位"), max_length=20, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO)
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    order = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["campaign", "order"]
        indexes = [models.Index(fields=["campaign", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="task_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    @property
    def is_overdue(self) -> bool:
        """逾期: not done and past its due date (derived, never stored)."""
        return self.status != TaskStatus.DONE and self.due_date is not None and self.due_date < timezone.localdate()


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="progress_reports")
    organization = models.ForeignKey(
        Organization, verbose_name=_("填报单位"), on_delete=models.PROTECT, related_name="progress_reports"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, on_delete=models.SET_NULL)
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(
        _("完成进度（%）"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    reported_on = models.DateField(_("填报日期"), default=timezone.localdate)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["task", "-reported_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.task} · {self.percent}%"
