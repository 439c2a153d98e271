"""The ledger (台账): one dossier per activity (一事一档) and its evidence."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Task
from organizations.history import TrackedHistory
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


def category_choices() -> list[tuple[str, str]]:
    """The dossier categories: the eight defaults, or the list in settings.LEDGER_CATEGORIES [(value, label), ...]."""
    configured = getattr(settings, "LEDGER_CATEGORIES", None)
    return [(str(v), str(label)) for v, label in (configured or EventCategory.choices)]


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
    category = models.CharField(_("类别"), max_length=32, choices=category_choices, default=EventCategory.OTHER)
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
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    # The last time a person added (or restored) evidence or changed the text or the linked tasks (not the derived
    # fields). Informational: 新增 and 有新增 are worked out from what is still there, by ledger.selectors.
    content_changed_at = models.DateTimeField(_("内容更新时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    # Kept up to date by the services whenever evidence changes (so lists can filter on it).
    is_complete = models.BooleanField(_("材料齐全"), default=False)
    completed_at = models.DateTimeField(_("材料齐全时间"), null=True, blank=True)
    is_late_entry = models.BooleanField(_("补录"), default=False)
    archive_year = models.PositiveSmallIntegerField(_("档号年度"), null=True, blank=True)
    archive_seq = models.PositiveIntegerField(_("档号序号"), null=True, blank=True)

    history = TrackedHistory(scope="organization", title="title")

    class Meta:
        verbose_name = _("活动档案")
        verbose_name_plural = _("活动档案")
        ordering = ["-start_date", "-pk"]
        indexes = [
            models.Index(fields=["campaign", "organization", "start_date"]),
            models.Index(fields=["campaign", "status"]),
            # The list's default order: the city office's first page of 20,000 dossiers reads 30 rows, not all.
            models.Index(fields=["-start_date", "-id"], name="ledger_event_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_date(self):
        return self.end_date or self.start_date

    @property
    def review_baseline(self):
        """When the office last saw the dossier as a whole: its last return, else its submission; None for
        drafts and archived dossiers. What was added or changed after it is 新增 for the reviewer."""
        if self.status not in {EventStatus.SUBMITTED, EventStatus.RETURNED}:
            return None
        return self.returned_at or self.submitted_at

    @property
    def has_additions(self) -> bool:
        """Something added or changed after review_baseline is still there (the list's 有新增 badge): the same rule
        as the dossier page's 新增 marks (ledger.selectors). Lists annotate it; a dossier loaded without the
        annotation asks the database once."""
        flag = self.__dict__.get("additions_after_baseline")
        if flag is None:
            from .selectors import event_has_additions

            flag = event_has_additions(self)
        return bool(flag)


# ------------------------------------------------------------------------------
# Evidence and its configuration (added by the ledger issue)
# ------------------------------------------------------------------------------
class Slot(models.TextChoices):
    PLAN = "plan", _("方案通知")
    SIGNIN = "signin", _("签到表")
    PHOTO = "photo", _("活动图片")
    SUMMARY = "summary", _("总结简报")
    MEDIA = "media", _("媒体报道")
    OTHER = "other", _("其他")


# Default required slots: 方案通知, 总结简报 and at least 2 活动图片 for every category.
DEFAULT_REQUIRED_SLOTS: dict[str, int] = {Slot.PLAN: 1, Slot.SUMMARY: 1, Slot.PHOTO: 2}


class LedgerSettings(models.Model):
    """Per-campaign switches of the ledger (kept here so the campaigns app stays unaware of the ledger)."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="ledger_settings"
    )
    review_enabled = models.BooleanField(_("提交后需创建办审核"), default=True, help_text=_("关闭后，提交即归档。"))
    # {category: {slot: minimum count}}; a category missing here uses DEFAULT_REQUIRED_SLOTS.
    required_slots = models.JSONField(_("各类别必备材料"), default=dict, blank=True)
    max_file_mb = models.PositiveIntegerField(_("单个文件上限（MB）"), null=True, blank=True)
    max_dossier_mb = models.PositiveIntegerField(_("单个档案上限（MB）"), null=True, blank=True)

    history = TrackedHistory(scope="campaign__unit", title="campaign")

    class Meta:
        verbose_name = _("台账设置")
        verbose_name_plural = _("台账设置")

    def __str__(self) -> str:
        return f"{self.campaign} 台账设置"

    def requirements_for(self, category: str) -> dict[str, int]:
        value = (self.required_slots or {}).get(category)
        return dict(value) if isinstance(value, dict) else dict(DEFAULT_REQUIRED_SLOTS)


class ArchiveCounter(models.Model):
    """The last 档号 sequence given out per unit and year; locked while a number is taken, so none is skipped."""

    unit = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("档号计数")
        verbose_name_plural = _("档号计数")
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="ledger_counter_unit_year")]

    def __str__(self) -> str:
        return f"{self.unit_id}-{self.year}: {self.last}"


def _evidence_path(instance: EvidenceFile, filename: str) -> str:
    # Only ever called with the generated name from ledger.uploads; kept for migrations.
    return filename


class EvidenceFile(models.Model):
    event = models.ForeignKey(Event, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="evidence")
    slot = models.CharField(_("材料类别"), max_length=16, choices=Slot.choices, default=Slot.OTHER)
    file = models.FileField(_("文件"), upload_to=_evidence_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    detected_type = models.CharField(_("文件类型"), max_length=16)
    content_type = models.CharField(_("MIME 类型"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    # When the 回收站 last put the file back (its upload time stays the record's): a file restored after the office
    # last saw the dossier is 新增 like a fresh upload (see ledger.selectors).
    restored_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    width = models.PositiveIntegerField(_("宽"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高"), null=True, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    thumbnail = models.FileField(_("缩略图"), upload_to=_evidence_path, max_length=255, blank=True)

    history = TrackedHistory(scope="event__organization", title="original_name", excluded_fields=["thumbnail"])

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["slot", "uploaded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "sha256"], name="ledger_evidence_unique_in_dossier")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.detected_type in {"jpg", "png", "webp", "gif"}

    @property
    def inline(self) -> bool:
        return self.is_image or self.detected_type == "pdf"


class MediaReport(models.Model):
    event = models.ForeignKey(Event, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="media_reports")
    outlet = models.CharField(_("媒体"), max_length=100)
    date = models.DateField(_("刊发日期"))
    title = models.CharField(_("标题"), max_length=200)
    url = models.URLField(_("链接"), max_length=500, blank=True)
    screenshot = models.ForeignKey(
        EvidenceFile,
        verbose_name=_("截图"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="media_reports",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = TrackedHistory(scope="event__organization", title="title")

    class Meta:
        verbose_name = _("媒体报道")
        verbose_name_plural = _("媒体报道")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return self.title


class LogAction(models.TextChoices):
    CREATE = "create", _("创建")
    UPDATE = "update", _("修改")
    UPLOAD = "upload", _("上传材料")
    DELETE_FILE = "delete_file", _("删除材料")
    SUBMIT = "submit", _("提交")
    RETURN = "return", _("退回")
    ARCHIVE = "archive", _("归档")
    DELETE = "delete", _("删除档案")


class EventLog(models.Model):
    """What happened to a dossier, including deletions (kept after the file itself is gone)."""

    event = models.ForeignKey(
        Event, verbose_name=_("档案"), null=True, on_delete=models.SET_NULL, related_name="log_entries"
    )
    action = models.CharField(_("操作"), max_length=16, choices=LogAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("档案记录")
        verbose_name_plural = _("档案记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d}"


# ------------------------------------------------------------------------------
# Evidence checks on photos (issue 15): findings computed in the background after upload
# ------------------------------------------------------------------------------
class OcrStatus(models.TextChoices):
    PENDING = "pending", _("待识别")
    OK = "ok", _("已识别")
    DISABLED = "disabled", _("OCR 未启用")
    TIMEOUT = "timeout", _("超时跳过")
    FAILED = "failed", _("识别失败")


class PhotoCheck(models.Model):
    """What the checks found in one photo. Duplicates are PhotoDuplicate rows (so deleting a photo clears
    its pairs); the capture-time finding is stored so the list can filter on it."""

    evidence_file = models.OneToOneField(
        EvidenceFile, verbose_name=_("图片"), on_delete=models.CASCADE, related_name="photo_check"
    )
    unit = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    phash = models.CharField(_("感知哈希"), max_length=16, blank=True)
    dhash = models.CharField(_("差异哈希"), max_length=16, blank=True)
    camera = models.CharField(_("相机型号"), max_length=100, blank=True)
    time_mismatch = models.BooleanField(_("拍摄时间不符"), default=False)
    time_note = models.CharField(_("拍摄时间说明"), max_length=100, blank=True)
    ocr_status = models.CharField(_("文字识别"), max_length=16, choices=OcrStatus.choices, default=OcrStatus.PENDING)
    ocr_text = models.TextField(_("识别文字"), blank=True)
    ocr_note = models.CharField(_("识别说明"), max_length=200, blank=True)
    seconds = models.FloatField(_("识别用时（秒）"), null=True, blank=True)
    banner_unit_found = models.BooleanField(_("横幅有单位名称"), default=False)
    banner_unit_name = models.CharField(_("识别到的单位名称"), max_length=200, blank=True)
    banner_date_found = models.BooleanField(_("横幅有日期"), default=False)
    banner_date = models.DateField(_("横幅日期"), null=True, blank=True)
    checked_at = models.DateTimeField(_("检查时间"), auto_now=True)

    class Meta:
        verbose_name = _("图片检查")
        verbose_name_plural = _("图片检查")
        indexes = [models.Index(fields=["unit", "phash"])]

    def __str__(self) -> str:
        return f"检查 {self.evidence_file_id}"


class PhotoDuplicate(models.Model):
    """Two photos in different dossiers whose hashes agree (stored once, first < second)."""

    first = models.ForeignKey(EvidenceFile, on_delete=models.CASCADE, related_name="duplicates_as_first")
    second = models.ForeignKey(EvidenceFile, on_delete=models.CASCADE, related_name="duplicates_as_second")
    phash_distance = models.PositiveSmallIntegerField(_("pHash 距离"))
    dhash_distance = models.PositiveSmallIntegerField(_("dHash 距离"))
    same_unit = models.BooleanField(_("同一单位"))
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("疑似重复图片")
        verbose_name_plural = _("疑似重复图片")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="ledger_photo_duplicate_pair"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="ledger_photo_dup_order"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≈ {self.second_id}"


class BannerAlias(models.Model):
    """Other names a unit's banners use (简称, 曾用名, 挂牌名): matched in the OCR text besides name and 简称."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="banner_aliases"
    )
    alias = models.CharField(_("别名"), max_length=100)

    history = TrackedHistory(scope="organization", title="alias")

    class Meta:
        verbose_name = _("横幅单位别名")
        verbose_name_plural = _("横幅单位别名")
        ordering = ["organization", "alias"]
        constraints = [models.UniqueConstraint(fields=["organization", "alias"], name="ledger_banner_alias_unique")]

    def __str__(self) -> str:
        return self.alias


# ------------------------------------------------------------------------------
# The year-end archive PDF (ledger/archive): every build kept, a rebuild is a new version
# ------------------------------------------------------------------------------
def _archive_build_path(instance: ArchiveBuild, filename: str) -> str:
    # A random stored name: the user-facing name is `filename` on the row, never the path.
    return f"ledger-archives/{instance.year}/{uuid.uuid4().hex}.pdf"


class ArchiveBuild(models.Model):
    """One built 年度台账档案 PDF of a unit's campaign year (归档文件), with its SHA-256 and who built it."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="archive_builds"
    )
    unit = models.ForeignKey(Organization, verbose_name=_("收录范围"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveIntegerField(_("版本"))
    file = models.FileField(_("文件"), upload_to=_archive_build_path, max_length=255)
    filename = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pages = models.PositiveIntegerField(_("页数"))
    dossiers = models.PositiveIntegerField(_("档案数"))
    photos = models.PositiveIntegerField(_("图片数"))
    job = models.OneToOneField(
        "jobs.Job", verbose_name=_("后台任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("台账档案 PDF")
        verbose_name_plural = _("台账档案 PDF")
        ordering = ["-year", "-version", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "year", "version"], name="ledger_archive_build_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename}（第 {self.version} 版）"
