"""Campaigns: the plan, its phases, the leadership group, the task tree and progress reports."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.history import TrackedHistory
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


# What a campaign's status reads as today: an explicit 草稿 or 已结束 stands; 进行中 follows the years, so a 2020–2022
# campaign reads 已结束 in 2026 and a 2027 one 未开始 (computed, nothing stored, so no nightly job can fall behind).
UPCOMING = "upcoming"
CURRENT_STATUS_LABELS = {
    CampaignStatus.DRAFT: "草稿",
    UPCOMING: "未开始",
    CampaignStatus.ACTIVE: "进行中",
    CampaignStatus.CLOSED: "已结束",
}


def current_status_q(value: str, *, year: int | None = None) -> models.Q:
    """The campaigns whose status reads `value` (a key of CURRENT_STATUS_LABELS) in `year` (this year by default)."""
    year = year or timezone.localdate().year
    active = models.Q(status=CampaignStatus.ACTIVE)
    if value == CampaignStatus.ACTIVE:
        return active & models.Q(start_year__lte=year, end_year__gte=year)
    if value == UPCOMING:
        return active & models.Q(start_year__gt=year)
    if value == CampaignStatus.CLOSED:
        return models.Q(status=CampaignStatus.CLOSED) | (active & models.Q(end_year__lt=year))
    return models.Q(status=value)


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

    history = TrackedHistory(scope="unit", title="title")

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

    @property
    def current_status(self) -> str:
        """The status as it reads today (see CURRENT_STATUS_LABELS); `status` is what was set."""
        if self.status != CampaignStatus.ACTIVE:
            return self.status
        year = timezone.localdate().year
        if self.end_year < year:
            return CampaignStatus.CLOSED
        if self.start_year > year:
            return UPCOMING
        return CampaignStatus.ACTIVE

    @property
    def current_status_label(self) -> str:
        return CURRENT_STATUS_LABELS.get(self.current_status, self.get_status_display())


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("阶段名称"), max_length=100)
    start = models.DateField(_("开始日期"), null=True, blank=True)
    end = models.DateField(_("结束日期"), null=True, blank=True)
    description = models.TextField(_("工作内容"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    history = TrackedHistory(scope="campaign__unit", title="name")

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

    history = TrackedHistory(scope="campaign__unit", title="name")

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
    start_date = models.DateField(
        _("开始日期"), null=True, blank=True, help_text=_("不填则以所属阶段的开始日期为准（用于任务开始提醒）")
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

    history = TrackedHistory(scope="campaign__unit", title="title")

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

    history = TrackedHistory(scope="organization", title="task")

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["task", "-reported_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.task} · {self.percent}%"


# ------------------------------------------------------------------------------
# Reminders (added by the reminders issue): the rules' settings per campaign, and 催办 records
# ------------------------------------------------------------------------------
DEFAULT_DUE_SOON_DAYS = "7,3,1"


class ReminderSettings(models.Model):
    """The reminder rules of one campaign; a campaign without a row uses the defaults of a fresh instance."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="reminder_settings"
    )
    due_soon_days = models.CharField(
        _("到期前提醒（天）"),
        max_length=50,
        default=DEFAULT_DUE_SOON_DAYS,
        help_text=_("完成时限前几天提醒，用逗号分隔，如 7,3,1"),
    )
    overdue_repeat_days = models.PositiveSmallIntegerField(
        _("逾期重复提醒间隔（工作日）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    escalate_office_days = models.PositiveSmallIntegerField(
        _("逾期几个工作日后告知创建办"), default=3, validators=[MinValueValidator(1), MaxValueValidator(250)]
    )
    escalate_leaders_days = models.PositiveSmallIntegerField(
        _("逾期几个工作日后告知组长、副组长"), default=10, validators=[MinValueValidator(1), MaxValueValidator(250)]
    )
    dossier_incomplete_days = models.PositiveSmallIntegerField(
        _("活动后几天材料仍不齐全即提醒"), default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    returned_days = models.PositiveSmallIntegerField(
        _("退回后几天未重新提交即提醒"), default=5, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    hours_unconfirmed_days = models.PositiveSmallIntegerField(
        _("志愿时长待确认超过几天即提醒"), default=3, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    task_start_enabled = models.BooleanField(_("任务开始提醒"), default=True)
    due_soon_enabled = models.BooleanField(_("任务到期提醒"), default=True)
    overdue_enabled = models.BooleanField(_("任务逾期督办"), default=True)
    rectification_enabled = models.BooleanField(_("整改事项提醒"), default=True)
    ledger_enabled = models.BooleanField(_("台账材料提醒"), default=True)
    volunteers_enabled = models.BooleanField(_("志愿时长确认提醒"), default=True)
    digest_enabled = models.BooleanField(_("每周汇总（周一 8:30）"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    history = TrackedHistory(scope="campaign__unit", title="campaign")

    class Meta:
        verbose_name = _("提醒规则")
        verbose_name_plural = _("提醒规则")

    def __str__(self) -> str:
        return f"{self.campaign} 提醒规则"

    @property
    def due_soon_list(self) -> list[int]:
        """The due-soon days, largest first, without repeats ("7,3,1" → [7, 3, 1])."""
        parts = (part.strip() for part in self.due_soon_days.replace("，", ",").split(","))
        days = {int(part) for part in parts if part.isascii() and part.isdigit()}
        return sorted((d for d in days if d > 0), reverse=True)


class Urge(models.Model):
    """催办: the 创建办 pressed 催办 on an overdue task or rectification item; at most once per object per day."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="urges")
    content_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    target = GenericForeignKey("content_type", "object_id")
    on_date = models.DateField(_("催办日期"))
    text = models.CharField(_("催办说明"), max_length=200, blank=True)
    urged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("催办人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_count = models.PositiveIntegerField(_("通知人数"), default=0)
    created_at = models.DateTimeField(_("催办时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("催办记录")
        verbose_name_plural = _("催办记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "on_date"], name="urge_once_per_object_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"催办 {self.on_date:%Y-%m-%d} {self.text}".strip()
