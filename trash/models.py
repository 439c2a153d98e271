from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization, User


class Deletion(models.Model):
    """One delete action: the rows it removed (the object and what hung from it), serialised, and their files.

    The rows are out of their tables, so no list, export, count or unique constraint can see them; the files stay
    where they were in storage until the purge."""

    unit = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), on_delete=models.CASCADE, related_name="trash_deletions"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属组织"), on_delete=models.CASCADE, related_name="+"
    )
    model = models.CharField(_("对象类型"), max_length=100)  # app_label.ModelName of the deleted object
    object_id = models.CharField(_("对象编号"), max_length=64)
    kind = models.CharField(_("类别"), max_length=50)  # 档案, 材料文件, 任务, ...
    title = models.CharField(_("名称"), max_length=300)
    deleted_at = models.DateTimeField(_("删除时间"), auto_now_add=True, db_index=True)
    deleted_by = models.ForeignKey(
        User, verbose_name=_("删除人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # [{"model": label, "pk": ..., "fields": {...}}, ...], children before their parents (not parents first: the
    # deleted object is not necessarily the first row; `model`/`object_id` name it). A restore saves them with the
    # foreign keys deferred, so the order does not matter there.
    rows = models.JSONField(_("删除的记录"), default=list)
    # rows elsewhere whose reference was set to null by the delete: [[label, pk, attname, old value], ...]
    nulled = models.JSONField(_("置空的引用"), default=list)
    files = models.JSONField(_("文件"), default=list)  # storage names, deleted by the purge
    counts = models.JSONField(_("数量"), default=dict)  # {verbose name: count}

    class Meta:
        verbose_name = _("回收站记录")
        verbose_name_plural = _("回收站记录")
        ordering = ["-deleted_at", "-pk"]
        indexes = [models.Index(fields=["unit", "-deleted_at"], name="trash_unit_deleted_at")]

    def __str__(self) -> str:
        return f"{self.kind}：{self.title}"
