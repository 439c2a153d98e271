"""What the dashboards keep: a daily snapshot of each unit's measures and the city office's traffic-light thresholds.

The snapshots make the city page cheap (one row per unit read, whatever the size of the units) and give the trends
and the change since last month. Measures are outcomes only (see dashboards.measures): never logins, clicks or
numbers of photos.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.history import TrackedHistory
from organizations.models import Organization

from .measures import MEASURE_CHOICES


class UnitSnapshot(models.Model):
    """One unit's measures on one day (re-running the day replaces the row)."""

    unit = models.ForeignKey(Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("日期"))
    measures = models.JSONField(_("指标"), default=dict)
    campaign_title = models.CharField(_("创建活动"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now=True)

    class Meta:
        verbose_name = _("单位每日快照")
        verbose_name_plural = _("单位每日快照")
        ordering = ["-date", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="dashboards_snapshot_unit_date")]
        indexes = [models.Index(fields=["date", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.date:%Y-%m-%d}"


class Threshold(models.Model):
    """红/黄/绿 of one measure for the units below one 文明办 (a missing row uses the measure's default)."""

    office = models.ForeignKey(Organization, verbose_name=_("文明办"), on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(_("指标"), max_length=40, choices=MEASURE_CHOICES)
    green = models.DecimalField(_("绿灯线"), max_digits=8, decimal_places=1)
    red = models.DecimalField(_("红灯线"), max_digits=8, decimal_places=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    history = TrackedHistory(scope="office", title="measure")

    class Meta:
        verbose_name = _("动态管理阈值")
        verbose_name_plural = _("动态管理阈值")
        ordering = ["office", "measure"]
        constraints = [models.UniqueConstraint(fields=["office", "measure"], name="dashboards_threshold_unique")]

    def __str__(self) -> str:
        return f"{self.office} · {self.get_measure_display()}"


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class Supervision(models.Model):
    """督办单: the city office asks a unit about a measure or a list of late tasks, by a deadline."""

    office = models.ForeignKey(Organization, verbose_name=_("督办单位"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Organization, verbose_name=_("被督办单位"), on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(_("督办指标"), max_length=40, choices=MEASURE_CHOICES, blank=True)
    tasks = models.ManyToManyField(
        "campaigns.Task", verbose_name=_("督办任务"), blank=True, related_name="supervisions"
    )
    request_text = models.TextField(_("督办要求"))
    deadline = models.DateField(_("答复期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督办人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("督办时间"), auto_now_add=True)
    answer_text = models.TextField(_("情况说明"), blank=True)
    answer_links = models.TextField(_("相关链接"), blank=True, help_text=_("每行一个链接"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    close_note = models.TextField(_("办结意见"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    history = TrackedHistory(scope="unit", title="unit")

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["status", "deadline", "-pk"]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["office", "status"])]

    def __str__(self) -> str:
        return f"督办 {self.unit} {self.deadline:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status != SupervisionStatus.CLOSED

    def is_overdue(self, today) -> bool:
        """Past its deadline without an answer (an answered one waits for the office, not the unit)."""
        return self.status == SupervisionStatus.OPEN and self.deadline < today

    @property
    def links(self) -> list[str]:
        return [line.strip() for line in self.answer_links.splitlines() if line.strip()]


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Bulletin(models.Model):
    """月度通报: the city table of one month frozen (rows copied from the snapshots), published by the office."""

    office = models.ForeignKey(Organization, verbose_name=_("文明办"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    snapshot_date = models.DateField(_("快照日期"), null=True, blank=True)
    previous_date = models.DateField(_("对比快照日期"), null=True, blank=True)
    sort = models.CharField(_("排名指标"), max_length=40, choices=MEASURE_CHOICES)
    # [{"unit_id", "unit_name", "rank", "cells": [{"key", "value", "light", "delta"}], "reds", "veto"}]
    rows = models.JSONField(_("通报数据"), default=list)
    notes = models.TextField(_("通报说明"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    publish_ranking = models.BooleanField(_("向各单位公开排名"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编制人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("编制时间"), auto_now=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    history = TrackedHistory(scope="office", title="month")

    class Meta:
        verbose_name = _("月度通报")
        verbose_name_plural = _("月度通报")
        ordering = ["-month", "office"]
        constraints = [models.UniqueConstraint(fields=["office", "month"], name="dashboards_bulletin_month")]

    def __str__(self) -> str:
        return f"{self.office} {self.month:%Y年%m月}通报"

    @property
    def is_published(self) -> bool:
        return self.status == BulletinStatus.PUBLISHED
