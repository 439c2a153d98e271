"""manage.py backup -o DIR: the database dump, the media and manifest.json (see backups/services.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.services import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "备份数据库（PostgreSQL 用 pg_dump 自定义格式，SQLite 用一致性拷贝）与全部上传文件，"
        "并写出带 SHA-256 与行数的清单。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, help="备份目录（不存在或为空）")

    def handle(self, *args, **options) -> None:
        target = Path(options["output"])
        try:
            manifest = backup_create(output=target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        t = manifest["totals"]
        self.stdout.write(
            f"备份完成：{target.absolute()}\n"
            f"  数据库（{manifest['database']['vendor']}）：{t['tables']} 张表，共 {t['rows']} 行，"
            f"文件 {manifest['database']['file']}（{manifest['database']['size']} 字节）\n"
            f"  上传文件：{t['files']} 个，共 {t['bytes']} 字节\n"
            f"  清单：manifest.json（版本 {manifest['app']['version']}，时间 {manifest['created_at']}）"
        )
        for name in manifest.get("vanished", []):
            self.stdout.write(f"  备份期间已被删除（未备份）：{name}")
