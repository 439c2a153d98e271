from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class FileCheck(models.Model):
    """One run of `check_files` (weekly by beat, or by hand): counts, and the first problems found."""

    checked_at = models.DateTimeField(_("检查时间"), db_index=True)
    seconds = models.FloatField(_("用时（秒）"), default=0)
    files_referenced = models.PositiveIntegerField(_("登记的文件"), default=0)
    files_on_disk = models.PositiveIntegerField(_("存储中的文件"), default=0)
    missing = models.PositiveIntegerField(_("缺失"), default=0)
    corrupted = models.PositiveIntegerField(_("已损坏"), default=0)
    orphaned = models.PositiveIntegerField(_("无主文件"), default=0)
    # The first problems of each kind (capped, see backups/files.py) for the admin page.
    details = models.JSONField(_("问题明细"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("文件检查")
        verbose_name_plural = _("文件检查")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"文件检查 {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def problems(self) -> int:
        return self.missing + self.corrupted + self.orphaned
