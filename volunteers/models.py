"""Volunteers (志愿服务): the registry, staff numbers, service activities and the hours served."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from ledger.models import Event
from organizations.history import TrackedHistory
from organizations.models import Organization

DEFAULT_MAX_HOURS = Decimal("8")
# The default unit of service time; a site may set VOLUNTEERS_HOURS_STEP to 0.1 (what some volunteer platforms export).
HOURS_STEP = Decimal("0.5")
ALLOWED_HOURS_STEPS = (Decimal("0.1"), Decimal("0.5"), Decimal("1"))


def hours_step() -> Decimal:
    """The site's unit of service time: 0.5 h unless VOLUNTEERS_HOURS_STEP says 0.1 or 1."""
    try:
        step = Decimal(str(getattr(settings, "VOLUNTEERS_HOURS_STEP", HOURS_STEP)))
    except ArithmeticError:
        return HOURS_STEP
    return step if step in ALLOWED_HOURS_STEPS else HOURS_STEP


def hours_step_text() -> str:
    """ "0.5" / "0.1" / "1", for messages and the `step` of number inputs."""
    return f"{hours_step().normalize():f}"


# Cumulative confirmed hours → star level (一星 … 五星), see ../shared/domain/GLOSSARY.md.
STAR_LEVELS: tuple[tuple[int, str], ...] = (
    (1500, "五星"),
    (1000, "四星"),
    (600, "三星"),
    (300, "二星"),
    (100, "一星"),
)


def star_level(hours: Decimal | float | int) -> str:
    """The star level earned by `hours` cumulative confirmed hours ("" below 100)."""
    for threshold, label in STAR_LEVELS:
        if hours >= threshold:
            return label
    return ""


class Volunteer(models.Model):
    """One person in the unit's volunteer registry; usually a member of staff."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("所在部门"), on_delete=models.PROTECT, related_name="volunteers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    is_registered = models.BooleanField(_("已在全国志愿服务信息系统注册"), default=False)
    number = models.CharField(_("志愿者编号"), max_length=64, blank=True)
    registered_on = models.DateField(_("注册日期"), null=True, blank=True)
    team = models.CharField(_("服务队"), max_length=100, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = TrackedHistory(scope="organization", title="name")

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["organization__path", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~models.Q(number=""), name="volunteer_unique_number"),
        ]
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_last4(self) -> str:
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return digits[-4:]


class StaffCount(models.Model):
    """在职职工数 of one organisation in one year: the denominator of every rate."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="staff_counts"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    count = models.PositiveIntegerField(_("在职职工数"))

    history = TrackedHistory(scope="organization", title="year")

    class Meta:
        verbose_name = _("在职职工数")
        verbose_name_plural = _("在职职工数")
        ordering = ["organization__path", "-year"]
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="staffcount_unique_year")]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}年 {self.count}人"


class VolunteerTargets(models.Model):
    """The volunteer targets of one campaign; they differ by place, so they are settings."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="volunteer_targets"
    )
    registration_rate = models.DecimalField(
        _("注册率目标（%）"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("100"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    hours_per_volunteer = models.DecimalField(
        _("每名注册志愿者年服务时长（小时）"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("25"),
        validators=[MinValueValidator(0)],
    )
    activities_per_year = models.PositiveSmallIntegerField(_("每年志愿服务活动次数"), default=4)

    history = TrackedHistory(scope="campaign__unit", title="campaign")

    class Meta:
        verbose_name = _("志愿服务目标")
        verbose_name_plural = _("志愿服务目标")

    def __str__(self) -> str:
        return f"{self.campaign} 志愿服务目标"


class ActivityCategory(models.TextChoices):
    LEI_FENG = "lei_feng", _("学雷锋")
    CIVILISATION_PRACTICE = "practice", _("文明实践")
    COMMUNITY = "community", _("社区共建")
    ENVIRONMENT = "environment", _("环境保护")
    TRAFFIC = "traffic", _("文明交通")
    OTHER = "other", _("其他")


class ServiceActivity(models.Model):
    """One volunteer service activity; its dossier in the ledger is linked here (volunteers owns the link)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="service_activities"
    )
    title = models.CharField(_("活动名称"), max_length=200)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    category = models.CharField(
        _("类别"), max_length=16, choices=ActivityCategory.choices, default=ActivityCategory.LEI_FENG
    )
    max_hours = models.DecimalField(
        _("每人时长上限（小时）"),
        max_digits=4,
        decimal_places=1,
        default=DEFAULT_MAX_HOURS,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )
    description = models.TextField(_("活动内容"), blank=True)
    event = models.ForeignKey(
        Event,
        verbose_name=_("台账档案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = TrackedHistory(scope="organization", title="title")

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["organization", "date"])]

    def __str__(self) -> str:
        return self.title


class RecordStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    RETURNED = "returned", _("退回")


class ServiceRecord(models.Model):
    """Hours one volunteer served in one activity; counted once 创建办 confirms them."""

    volunteer = models.ForeignKey(Volunteer, verbose_name=_("志愿者"), on_delete=models.CASCADE, related_name="records")
    activity = models.ForeignKey(
        ServiceActivity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="records"
    )
    hours = models.DecimalField(_("时长（小时）"), max_digits=5, decimal_places=1)
    status = models.CharField(_("状态"), max_length=16, choices=RecordStatus.choices, default=RecordStatus.PENDING)
    return_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = TrackedHistory(scope="volunteer__organization", title="volunteer")

    class Meta:
        verbose_name = _("服务时长记录")
        verbose_name_plural = _("服务时长记录")
        ordering = ["-activity__date", "volunteer__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "activity"], name="servicerecord_unique_per_activity"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="servicerecord_hours_positive"),
        ]
        indexes = [models.Index(fields=["status", "activity"])]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.activity} · {self.hours}小时"
