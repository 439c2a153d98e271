"""测评: evaluation systems (测评体系) as imported, criterion tags, self-inspection rounds and the rectification list.

A system is stored as it was written: any of its points may be missing (the 2020 national system has none),
children need not add up to their parent, and each criterion keeps its own scoring style. The arithmetic lives
in `evaluation.scoring` (pure functions); this module only holds fields and small derived properties.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Task
from ledger.models import Event
from organizations.history import TrackedHistory
from organizations.models import Organization

POINTS = {"max_digits": 7, "decimal_places": 2}


class ScoringStyle(models.TextChoices):
    POINTS = "points", _("分值")
    GRADE = "grade", _("等级")
    DEDUCTION = "deduction", _("扣分")
    YES_NO = "yes_no", _("是否")


class Consequence(models.TextChoices):
    VETO = "veto", _("一票否决")
    DEDUCT = "deduct", _("扣分")
    WARNING = "warning", _("警示")


class EvaluationSystem(models.Model):
    name = models.CharField(_("名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=50, blank=True)
    year = models.CharField(_("年份或版本"), max_length=50, blank=True)
    issuer = models.CharField(_("发布单位"), max_length=200, blank=True)
    total_points = models.DecimalField(_("总分"), null=True, blank=True, **POINTS)
    bonus_cap = models.DecimalField(_("加分上限"), null=True, blank=True, **POINTS)
    notes = models.TextField(_("备注"), blank=True)
    pass_mark = models.DecimalField(_("合格分数线"), null=True, blank=True, **POINTS)
    total_includes_bonus = models.BooleanField(_("总分含加分"), default=False)
    # What each grade is worth, in percent of the criterion's points (A/B/C/D = 100/66/33/0 by default).
    grade_a = models.DecimalField(_("A 等得分率（%）"), max_digits=5, decimal_places=2, default=Decimal("100"))
    grade_b = models.DecimalField(_("B 等得分率（%）"), max_digits=5, decimal_places=2, default=Decimal("66"))
    grade_c = models.DecimalField(_("C 等得分率（%）"), max_digits=5, decimal_places=2, default=Decimal("33"))
    grade_d = models.DecimalField(_("D 等得分率（%）"), max_digits=5, decimal_places=2, default=Decimal("0"))
    source_filename = models.CharField(_("来源文件"), max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    history = TrackedHistory(scope=None, title="name")

    class Meta:
        verbose_name = _("测评体系")
        verbose_name_plural = _("测评体系")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def grade_percents(self) -> dict[str, Decimal]:
        return {"A": self.grade_a, "B": self.grade_b, "C": self.grade_c, "D": self.grade_d}


class Item(models.Model):
    """测评项目."""

    system = models.ForeignKey(
        EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("项目编号"), max_length=32)
    name = models.CharField(_("测评项目"), max_length=300)
    points = models.DecimalField(_("项目分值"), null=True, blank=True, **POINTS)
    order = models.PositiveIntegerField(_("排序"), default=0)

    history = TrackedHistory(scope=None, title="name")

    class Meta:
        verbose_name = _("测评项目")
        verbose_name_plural = _("测评项目")
        ordering = ["system", "order"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="evaluation_item_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Indicator(models.Model):
    """测评指标."""

    system = models.ForeignKey(EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("测评项目"), on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("指标编号"), max_length=32)
    name = models.CharField(_("测评指标"), max_length=500, blank=True)
    points = models.DecimalField(_("指标分值"), null=True, blank=True, **POINTS)
    methods = models.CharField(_("测评方法"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    history = TrackedHistory(scope=None, title="name")

    class Meta:
        verbose_name = _("测评指标")
        verbose_name_plural = _("测评指标")
        ordering = ["system", "order"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="evaluation_indicator_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Criterion(models.Model):
    """测评标准/内容: the unit that is scored."""

    system = models.ForeignKey(EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("测评指标"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("标准编号"), max_length=32)
    text = models.TextField(_("测评标准"))
    points = models.DecimalField(_("标准分值"), null=True, blank=True, **POINTS)
    style = models.CharField(_("评分方式"), max_length=16, choices=ScoringStyle.choices, default=ScoringStyle.POINTS)
    methods = models.CharField(_("测评方法"), max_length=200, blank=True)
    evidence_text = models.TextField(_("材料要求"), blank=True)
    # The scoring rule as the published system words it ("每低1个百分点扣1分"), shown beside the criterion.
    scoring_rule = models.TextField(_("评分标准（原文）"), blank=True)
    responsible_text = models.CharField(_("负责部门（原文）"), max_length=200, blank=True)
    # The structured evidence rule (optional; read from the template or from 材料要求 as written).
    rule_min_dossiers = models.PositiveSmallIntegerField(_("最少档案数"), null=True, blank=True)
    rule_min_photos = models.PositiveSmallIntegerField(_("每档最少图片"), null=True, blank=True)
    rule_slots = models.JSONField(_("必备材料"), default=list, blank=True)
    rule_period_months = models.PositiveSmallIntegerField(_("统计期（月）"), null=True, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    tasks = models.ManyToManyField(Task, verbose_name=_("关联任务"), blank=True, related_name="criteria")
    events = models.ManyToManyField(Event, verbose_name=_("关联档案"), blank=True, related_name="criteria")

    history = TrackedHistory(scope=None, title="code")

    class Meta:
        verbose_name = _("测评标准")
        verbose_name_plural = _("测评标准")
        ordering = ["system", "order"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="evaluation_criterion_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"

    @property
    def has_rule(self) -> bool:
        return bool(self.rule_min_dossiers or self.rule_min_photos or self.rule_slots)


class NegativeListItem(models.Model):
    """负面清单: events that deduct points or disqualify whatever the score."""

    system = models.ForeignKey(
        EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.CASCADE, related_name="negative_items"
    )
    code = models.CharField(_("编号"), max_length=32)
    text = models.TextField(_("内容"))
    consequence = models.CharField(_("后果"), max_length=16, choices=Consequence.choices, default=Consequence.VETO)
    deduct_points = models.DecimalField(_("扣分"), null=True, blank=True, **POINTS)
    window_months = models.PositiveSmallIntegerField(_("时限（月）"), null=True, blank=True)
    # The consequence in the system's own words ("撤销荣誉称号", "黄牌警告"), mapped to `consequence`.
    consequence_text = models.CharField(_("后果（原文）"), max_length=50, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    history = TrackedHistory(scope=None, title="code")

    class Meta:
        verbose_name = _("负面清单条目")
        verbose_name_plural = _("负面清单")
        ordering = ["system", "order"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="evaluation_negative_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class ColumnMapping(models.Model):
    """How the columns of one layout of published 测评体系 map to our fields, remembered for its next import."""

    signature = models.CharField(_("表头特征"), max_length=64, unique=True)
    headers = models.JSONField(_("表头"), default=list)
    mapping = models.JSONField(_("列对应"), default=dict)  # {"0": "item", "2": "criterion", ...}
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设置人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("测评体系列对应")
        verbose_name_plural = _("测评体系列对应")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return " | ".join(self.headers)[:80]


class BonusItem(models.Model):
    """特色工作加分."""

    system = models.ForeignKey(
        EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.CASCADE, related_name="bonus_items"
    )
    code = models.CharField(_("编号"), max_length=32)
    text = models.TextField(_("加分内容"))
    max_points = models.DecimalField(_("最高加分"), validators=[MinValueValidator(0)], **POINTS)
    order = models.PositiveIntegerField(_("排序"), default=0)

    history = TrackedHistory(scope=None, title="code")

    class Meta:
        verbose_name = _("加分项目")
        verbose_name_plural = _("加分项目")
        ordering = ["system", "order"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="evaluation_bonus_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class CampaignSystem(models.Model):
    """The system a campaign is measured against (a campaign may follow more than one, e.g. city and province)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="evaluation_links"
    )
    system = models.ForeignKey(
        EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.PROTECT, related_name="campaign_links"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = TrackedHistory(scope="campaign__unit", title="system")

    class Meta:
        verbose_name = _("采用的测评体系")
        verbose_name_plural = _("采用的测评体系")
        constraints = [models.UniqueConstraint(fields=["campaign", "system"], name="evaluation_campaign_system_unique")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.system}"


class SelfAssessment(models.Model):
    """自检自查: one round of scoring a campaign against a system."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="self_assessments"
    )
    system = models.ForeignKey(
        EvaluationSystem, verbose_name=_("测评体系"), on_delete=models.PROTECT, related_name="self_assessments"
    )
    name = models.CharField(_("轮次名称"), max_length=100)
    date = models.DateField(_("自查日期"), default=timezone.localdate)
    is_locked = models.BooleanField(_("已定稿"), default=False)
    locked_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = TrackedHistory(scope="campaign__unit", title="name")

    class Meta:
        verbose_name = _("自检自查")
        verbose_name_plural = _("自检自查")
        ordering = ["campaign", "-date", "-pk"]

    def __str__(self) -> str:
        return self.name


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class Score(models.Model):
    """One criterion scored in one round, in the criterion's style; `value` is the computed points."""

    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("自检自查"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(Criterion, verbose_name=_("测评标准"), on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("评分"), null=True, blank=True, **POINTS)  # style 分值: what was entered
    grade = models.CharField(_("等级"), max_length=1, choices=Grade.choices, blank=True)
    passed = models.BooleanField(_("是否达标"), null=True, blank=True)
    # style 扣分: [{"points": "0.5", "reason": "..."}]
    deductions = models.JSONField(_("扣分明细"), default=list, blank=True)
    value = models.DecimalField(_("得分"), null=True, blank=True, **POINTS)
    comment = models.TextField(_("说明"), blank=True)
    evidence_events = models.ManyToManyField(Event, verbose_name=_("佐证档案"), blank=True, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评分人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = TrackedHistory(scope="assessment__campaign__unit", title="criterion")

    class Meta:
        verbose_name = _("自查评分")
        verbose_name_plural = _("自查评分")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="evaluation_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.value}"


class BonusClaim(models.Model):
    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("自检自查"), on_delete=models.CASCADE, related_name="bonus_claims"
    )
    bonus_item = models.ForeignKey(BonusItem, verbose_name=_("加分项目"), on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("申报加分"), validators=[MinValueValidator(0)], **POINTS)
    note = models.TextField(_("说明"), blank=True)

    history = TrackedHistory(scope="assessment__campaign__unit", title="bonus_item")

    class Meta:
        verbose_name = _("加分申报")
        verbose_name_plural = _("加分申报")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "bonus_item"], name="evaluation_bonus_claim_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bonus_item.code}: {self.points}"


class NegativeDeclaration(models.Model):
    """Whether a negative-list event occurred within its look-back window (declared by the unit)."""

    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("自检自查"), on_delete=models.CASCADE, related_name="negative_declarations"
    )
    item = models.ForeignKey(
        NegativeListItem, verbose_name=_("负面清单条目"), on_delete=models.CASCADE, related_name="+"
    )
    occurred = models.BooleanField(_("是否发生"), default=False)
    note = models.TextField(_("说明"), blank=True)

    history = TrackedHistory(scope="assessment__campaign__unit", title="item")

    class Meta:
        verbose_name = _("负面清单申报")
        verbose_name_plural = _("负面清单申报")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="evaluation_negative_declaration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item.code}: {'是' if self.occurred else '否'}"


class RectificationStatus(models.TextChoices):
    PENDING = "pending", _("待整改")
    IN_PROGRESS = "in_progress", _("整改中")
    DONE = "done", _("已完成")
    CLOSED = "closed", _("已销号")


class RectificationItem(models.Model):
    """整改清单 entry."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="rectifications"
    )
    assessment = models.ForeignKey(
        SelfAssessment,
        verbose_name=_("来源自查"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("测评标准"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    points_lost = models.DecimalField(_("失分"), null=True, blank=True, **POINTS)
    problem = models.TextField(_("存在问题"))
    measure = models.TextField(_("整改措施"), blank=True)
    responsible_units = models.ManyToManyField(
        Organization, verbose_name=_("责任单位"), blank=True, related_name="rectification_items"
    )
    responsible_person = models.CharField(_("责任人"), max_length=100, blank=True)
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.PENDING
    )
    proof_events = models.ManyToManyField(Event, verbose_name=_("佐证档案"), blank=True, related_name="+")
    # Written only by the service, from a file ledger.uploads checked; stored under a generated name, served by
    # the scoped view under its original name.
    proof_file = models.FileField(
        _("佐证文件"), upload_to="evaluation/rectification/%Y/", blank=True, max_length=255, editable=False
    )
    proof_file_name = models.CharField(_("佐证文件原名"), max_length=200, blank=True, editable=False)
    proof_file_content_type = models.CharField(_("佐证文件类型"), max_length=100, blank=True, editable=False)
    proof_file_size = models.PositiveBigIntegerField(_("佐证文件大小"), null=True, blank=True, editable=False)
    proof_file_sha256 = models.CharField(_("佐证文件 SHA-256"), max_length=64, blank=True, editable=False)
    proof_links = models.TextField(_("佐证链接"), blank=True)
    verification_note = models.TextField(_("核验意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = TrackedHistory(scope="campaign__unit", title="problem")

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改清单")
        ordering = ["campaign", "status", "deadline", "pk"]
        indexes = [models.Index(fields=["campaign", "status", "deadline"])]
        constraints = [
            # Lost points of a criterion become one entry per round, however often 转整改 is pressed.
            models.UniqueConstraint(
                fields=["assessment", "criterion"],
                condition=models.Q(assessment__isnull=False, criterion__isnull=False),
                name="evaluation_rectification_once_per_round",
            ),
        ]

    def __str__(self) -> str:
        return self.problem[:40]

    @property
    def is_overdue(self) -> bool:
        open_ = self.status in (RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS)
        return open_ and self.deadline is not None and self.deadline < timezone.localdate()
