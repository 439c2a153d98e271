"""`manage.py import_evaluation PATH [--dry-run] [--json]`: load a 测评体系 workbook in the documented template."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation.services import system_import
from evaluation.workbook import parse_workbook


class Command(BaseCommand):
    help = "从 Excel 模板导入测评体系（任何一行有错误则整体不导入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=".xlsx 文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不保存")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        parsed = parse_workbook(path, filename=path.name)
        system = None
        if parsed.ok and not options["dry_run"]:
            system = system_import(parsed=parsed, filename=path.name)
        result = {
            "id": system.pk if system else None,
            "name": parsed.meta.get("name") or path.stem,
            **parsed.counts(),
            "warnings": parsed.warnings,
            "errors": parsed.errors,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            for w in parsed.warnings:
                self.stdout.write(self.style.WARNING(f"提示：{w}"))
            for e in parsed.errors:
                self.stderr.write(self.style.ERROR(f"错误：{e}"))
            summary = (
                f"{result['name']}：测评项目 {result['items']} 个，指标 {result['indicators']} 个，"
                f"标准 {result['criteria']} 条，负面清单 {result['negative_list']} 条"
            )
            if system:
                self.stdout.write(self.style.SUCCESS(f"已导入（编号 {system.pk}）{summary}"))
            elif parsed.ok:
                self.stdout.write(self.style.SUCCESS(f"检查通过（未保存）{summary}"))
        if not parsed.ok:
            raise SystemExit(1)
