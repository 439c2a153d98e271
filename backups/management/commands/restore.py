"""manage.py restore DIR: into an empty database and an empty media storage, then verified against the manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.services import BackupError, backup_restore


class Command(BaseCommand):
    help = "把 backup 生成的备份恢复到空数据库与空的上传文件目录，并逐表核对行数、逐个核对文件 SHA-256。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="备份目录（含 manifest.json）")

    def handle(self, *args, **options) -> None:
        try:
            report = backup_restore(source=Path(options["source"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"恢复完成：{report.tables} 张表共 {report.rows} 行，"
            f"{report.files} 个文件共 {report.bytes} 字节与清单一致。"
            if report.ok
            else "恢复后核对发现不一致："
        )
        for name in report.vanished:
            self.stdout.write(f"  备份时该文件正被删除，备份中没有：{name}（check_files 会把引用它的记录报为缺失）")
        for m in report.count_mismatches:
            self.stdout.write(f"  表 {m['table']}：清单 {m['expected']} 行，恢复后 {m['actual']} 行")
        for m in report.file_mismatches:
            self.stdout.write(f"  文件 {m['path']}：SHA-256 与清单不符（{m['actual'] or '缺失'}）")
        if not report.ok:
            raise CommandError(
                f"恢复结果与清单不一致：{len(report.count_mismatches)} 张表行数不同，"
                f"{len(report.file_mismatches)} 个文件不同。"
            )
