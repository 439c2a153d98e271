"""manage.py check_files [--json]: missing, corrupted and orphaned files (what beat runs weekly)."""

import json

from django.core.management.base import BaseCommand, CommandParser

from backups.services import file_check_run


class Command(BaseCommand):
    help = "检查上传文件：缺失（有记录无文件）、损坏（SHA-256 与记录不符）、无主（有文件无记录）；结果记入“文件检查”。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options) -> None:
        _row, result = file_check_run()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, default=str))
        else:
            self.stdout.write(
                f"文件检查：登记 {result.files_referenced} 个，存储中 {result.files_on_disk} 个；"
                f"缺失 {len(result.missing)}，损坏 {len(result.corrupted)}，无主 {len(result.orphaned)}"
                f"（用时 {result.seconds:.1f} 秒）"
            )
            for m in result.missing:
                self.stdout.write(f"  缺失：{m['path']}（{m['model']} #{m['pk']}）")
            for m in result.corrupted:
                self.stdout.write(f"  损坏：{m['path']}（{m['model']} #{m['pk']}，SHA-256 与记录不符）")
            for m in result.orphaned:
                self.stdout.write(f"  无主：{m['path']}（{m['size']} 字节）")
        if not result.ok:
            raise SystemExit(1)
