"""Delivery: in-app notices, the outbox (one row per message per channel, written before sending),
group robots, the working calendar and each user's channel preferences.

The outbox is what makes delivery exactly-once: a row is unique on (rule, object, recipient, channel,
period) and is inserted before anything is sent; the sender claims it with a conditional UPDATE and
marks it sent or failed. The uniqueness is on two plain key columns (`object_key`, `recipient_key`)
rather than on nullable foreign keys, because NULLs are distinct in a unique index on every database.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class Kind(models.TextChoices):
    REMINDER = "reminder", _("到期提醒")
    OVERDUE = "overdue", _("逾期督办")
    URGENT = "urgent", _("催办")
    DIGEST = "digest", _("每周汇总")
    SYSTEM = "system", _("系统消息")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内消息")
    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK)


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")
    HELD = "held", _("等待中")
    CANCELLED = "cancelled", _("已取消")
    STALE = "stale", _("已过时")


class RobotVendor(models.TextChoices):
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")


class RobotConfig(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属组织"), on_delete=models.CASCADE, related_name="robots"
    )
    name = models.CharField(_("名称"), max_length=100)
    vendor = models.CharField(_("类型"), max_length=16, choices=RobotVendor.choices)
    webhook_url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True, help_text=_("钉钉机器人“加签”安全设置的密钥"))
    enabled = models.BooleanField(_("启用发送"), default=False)
    # Set when the vendor answers "too many messages" (钉钉 blocks a robot for 10 minutes).
    paused_until = models.DateTimeField(_("暂停至"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["organization__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="robot_unique_name_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.name}"

    @property
    def channel(self) -> str:
        return Channel.WECOM if self.vendor == RobotVendor.WECOM else Channel.DINGTALK

    @property
    def masked_url(self) -> str:
        """The webhook with its key hidden: the key is a credential and is not shown back on pages."""
        url = self.webhook_url
        if "=" in url:
            head, _sep, tail = url.rpartition("=")
            return f"{head}={tail[:4]}…" if tail else url
        return url


class Outbox(models.Model):
    rule = models.CharField(_("规则"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.REMINDER)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, default="")
    obj = GenericForeignKey("content_type", "object_id")
    # "<content_type_id>:<pk>" or "" (no object): the uniqueness key.
    object_key = models.CharField(_("对象键"), max_length=80, blank=True, default="", editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_rows",
    )
    robot = models.ForeignKey(
        RobotConfig, verbose_name=_("群机器人"), null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    # "user:<pk>" or "robot:<pk>": the uniqueness key.
    recipient_key = models.CharField(_("接收方键"), max_length=40, editable=False)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    period = models.CharField(_("周期"), max_length=40, help_text=_("同一规则在同一周期内只发一次，如 2026-12-01"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属组织"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    urgent = models.BooleanField(_("立即发送"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING, db_index=True
    )
    # Held for working time: delivered in the next working morning's batch, folded with the others.
    held_for_working_time = models.BooleanField(_("非工作时间顺延"), default=False)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # A long robot message goes out in parts; a retry resumes after the last part sent.
    parts_sent = models.PositiveSmallIntegerField(_("已发送分段"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    claim_token = models.CharField(_("领取标记"), max_length=40, blank=True, editable=False)
    last_error = models.TextField(_("失败原因"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "object_key", "recipient_key", "channel", "period"], name="outbox_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["robot", "sent_at"], name="outbox_robot_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.title}"

    @property
    def recipient_display(self) -> str:
        if self.robot_id:
            return str(self.robot.name)
        return self.recipient.display_name if self.recipient_id else ""


class Notice(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.REMINDER)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    outbox = models.OneToOneField(
        Outbox, verbose_name=_("发送记录"), null=True, blank=True, on_delete=models.SET_NULL, related_name="notice"
    )
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class CalendarDay(models.Model):
    """An exception to "Monday–Friday work": a 法定节假日 (off) or a 调休 workday (on a weekend)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否上班"))
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如 国庆节、春节调休"))
    source = models.CharField(
        _("来源"),
        max_length=16,
        choices=[("package", _("chinese-calendar 数据")), ("manual", _("手工录入"))],
        default="manual",
    )

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_workday else '休息'} {self.name}"


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    enabled = models.BooleanField(_("接收"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        ordering = ["user", "kind", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.get_channel_display()}"
