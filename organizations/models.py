"""The organisation tree, the people, and their places in it.

The tree is stored as a materialised path of zero-padded primary keys ("000001/000007/000042/"), so a
subtree is one indexed prefix query and the ancestors of a node are read off its path without a query.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .history import TrackedHistory

PATH_SEGMENT_WIDTH = 10


class OrganizationKind(models.TextChoices):
    OFFICE = "office", _("文明办")
    UNIT = "unit", _("单位")
    DEPARTMENT = "department", _("部门")
    AFFILIATE = "affiliate", _("同创单位")


class Organization(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    code = models.SlugField(_("代码"), max_length=64, unique=True, help_text=_("命令行与导出中使用的唯一代码"))
    order = models.PositiveIntegerField(_("排序"), default=0)
    # Maintained by organizations.services only.
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = TrackedHistory(scope="self", title="name", excluded_fields=["path", "depth"])

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="organization_unique_name_under_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Primary keys of the ancestors, root first, read from the path (no query)."""
        return [int(seg) for seg in self.path.split("/") if seg][:-1]

    def is_descendant_of(self, other: "Organization", *, include_self: bool = True) -> bool:
        if self.pk == other.pk:
            return include_self
        return self.path.startswith(other.path)


class User(AbstractUser):
    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    OFFICE = "office", _("创建办")
    LEADER = "leader", _("领导")
    LIAISON = "liaison", _("联络员")


class Membership(models.Model):
    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = TrackedHistory(scope="organization", title="user")

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        ordering = ["organization__path", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class AuditEntry(models.Model):
    """Who did what to which object, when. Every delete in the project is recorded here."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=32)
    object_type = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=300, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属组织"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class AccessRefusal(models.Model):
    """A refused access (403, or 404 on an object out of scope) by a signed-in user; at most one per user and path
    in each REFUSED_ACCESS_WINDOW (organizations/refusals.py). Shown to the 管理员 on the 操作记录 page."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属组织"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    path = models.CharField(_("路径"), max_length=1000)
    method = models.CharField(_("方法"), max_length=10)
    status = models.PositiveSmallIntegerField(_("状态码"))

    action = "refused"

    class Meta:
        verbose_name = _("拒绝访问记录")
        verbose_name_plural = _("拒绝访问记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status} {self.path}"

    @property
    def object_repr(self) -> str:
        return self.path

    @property
    def details(self) -> dict:
        return {"status": self.status, "method": self.method}
