"""`manage.py seed_demo [--reset] [--json] [--force]`: the demo world, idempotently.

Each app that has demo data provides `<app>/demo.py` with `seed(ctx) -> dict` (lists to add to the
`--json` output) and `reset(ctx)`. They run bottom-up in the order of ../shared/DESIGN.md; resets run top-down.
"""

import importlib
import importlib.util
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from demo.context import DemoContext

SEEDERS = ["organizations", "campaigns", "ledger", "evaluation", "volunteers", "dashboards"]


def _modules() -> list:
    found = []
    for app in SEEDERS:
        name = f"{app}.demo"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


class Command(BaseCommand):
    help = "载入演示数据（某市文明办、两个创建单位及各角色演示账号）。可重复运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="先删除已有演示数据再重新载入")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出演示账号与组织")
        parser.add_argument("--force", action="store_true", help="在 DEBUG 关闭时仍然执行（谨慎）")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG 已关闭（疑似生产环境），拒绝载入演示数据；确需执行请加 --force。")
        modules = _modules()
        ctx = DemoContext()
        output: dict[str, list] = {"users": [], "organizations": []}
        with transaction.atomic():
            if options["reset"]:
                for module in reversed(modules):
                    module.reset(ctx)
            for module in modules:
                for key, rows in module.seed(ctx).items():
                    output.setdefault(key, []).extend(rows)
        output["users"] = ctx.logins
        if options["json"]:
            self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
            return
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（密码相同）："))
        role_names = {
            "admin": "管理员",
            "office": "创建办",
            "leader": "领导",
            "liaison": "联络员",
            "superuser": "系统管理",
        }
        for row in ctx.logins:
            self.stdout.write(
                f"  {row['username']:<18} {row['password']:<14} {role_names.get(row['role'], row['role']):<6}"
                f" {row['organization_code'] or '（后台 /admin/）'}"
            )
