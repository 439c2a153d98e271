"""A job row per long piece of work: who started it, where it stands, and what it produced."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


def _result_path(job: Job, filename: str) -> str:
    # A random stored name: the user-facing name lives in result_name, never in the path.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.localdate()
    return f"jobs/{now:%Y/%m}/{uuid.uuid4().hex}.{ext[:8]}"


class Job(models.Model):
    kind = models.CharField(_("类型"), max_length=50)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.SET_NULL, null=True, related_name="jobs"
    )
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("所属组织"), on_delete=models.CASCADE, related_name="jobs"
    )
    title = models.CharField(_("名称"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    step = models.CharField(_("当前步骤"), max_length=200, blank=True)
    result = models.FileField(_("结果文件"), upload_to=_result_path, max_length=255, blank=True)
    result_name = models.CharField(_("结果文件名"), max_length=200, blank=True)
    result_size = models.BigIntegerField(_("结果大小"), null=True, blank=True)
    result_sha256 = models.CharField(_("结果 SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    attempt = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=3)
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The reaper: running rows by heartbeat.
            models.Index(fields=["status", "heartbeat_at"], name="jobs_status_heartbeat"),
            # The 后台任务 list of one user, newest first.
            models.Index(fields=["started_by", "-created_at"], name="jobs_user_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="jobs_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def has_result(self) -> bool:
        return self.status == JobStatus.DONE and bool(self.result)
