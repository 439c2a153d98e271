"""`manage.py export_evaluation ID -o PATH`: write a 测评体系 in the import template."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation.models import EvaluationSystem
from evaluation.selectors import system_snapshot
from evaluation.workbook import build_workbook


class Command(BaseCommand):
    help = "按导入模板导出测评体系。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=int, help="测评体系编号")
        parser.add_argument("-o", "--output", required=True, help="输出 .xlsx 路径")

    def handle(self, *args, **options) -> None:
        system = EvaluationSystem.objects.filter(pk=options["id"]).first()
        if system is None:
            raise CommandError(f"测评体系 {options['id']} 不存在")
        path = Path(options["output"])
        path.write_bytes(build_workbook(system_snapshot(system)))
        self.stdout.write(self.style.SUCCESS(f"已导出到 {path}"))
