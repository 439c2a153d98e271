"""`manage.py seed_demo [--reset] [--json] [--force] [--scale large]`: the demo world, idempotently.

`--scale large` adds, after the demo world, the city-scale data of demo/large.py (50 units under the demo 文明办).

Each app that has demo data provides `<app>/demo.py` with `seed(ctx) -> dict` (lists to add to the
`--json` output) and `reset(ctx)`. They run bottom-up in the order of ../shared/DESIGN.md; resets run top-down.
"""

import argparse
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
        parser.add_argument(
            "--scale",
            choices=["demo", "large"],
            default="demo",
            help="large：另载入城市规模数据（50 个单位 × 12 个部门、2 万份档案、20 万条志愿服务记录），约数分钟",
        )
        # Hidden: a smaller large scale for the tests (units, and a factor on the per-unit numbers).
        parser.add_argument("--units", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument("--factor", type=float, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG 已关闭（疑似生产环境），拒绝载入演示数据；确需执行请加 --force。")
        from demo import large

        shape = self._shape(options) if options["scale"] == "large" else None
        modules = _modules()
        ctx = DemoContext()
        output: dict[str, list] = {"users": [], "organizations": []}
        with transaction.atomic():
            if options["reset"]:
                # The large-scale units hang under the demo 文明办: they go first, or its tree could not be deleted.
                large.reset()
                for module in reversed(modules):
                    module.reset(ctx)
            for module in modules:
                for key, rows in module.seed(ctx).items():
                    output.setdefault(key, []).extend(rows)
        output["users"] = ctx.logins
        if shape is not None:
            output["large"] = self._large(ctx, shape, quiet=options["json"])
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
        if "large" in output:
            info = output["large"]
            done = "已存在，未作改动" if info["skipped"] else f"已载入（{info['seconds']} 秒）"
            self.stdout.write(
                self.style.SUCCESS(
                    f"城市规模数据{done}："
                    f"{info['counts'].get('units', 0)} 个单位，账号 large01_office … large"
                    f"{info['counts'].get('units', 0):02d}_office（另有 _admin/_leader/_liaison），密码同上。"
                )
            )
            if info["skipped"]:
                self.stdout.write("如需重建城市规模数据，请加 --reset 重新运行（将删除并重建全部演示数据）。")

    def _shape(self, options: dict):
        from demo import large

        if options["units"] is None and options["factor"] is None:
            return large.Shape()
        units = 50 if options["units"] is None else options["units"]
        factor = 1.0 if options["factor"] is None else options["factor"]
        if not 1 <= units <= 50 or not 0 < factor <= 1:
            raise CommandError("--units 须在 1 至 50 之间，--factor 须大于 0 且不超过 1。")
        return large.Shape.scaled(units=units, factor=factor)

    def _large(self, ctx: DemoContext, shape, *, quiet: bool) -> dict:
        from demo import large

        log = None if quiet else self.stdout.write
        try:
            info = large.seed(ctx, shape, log=log)
        except large.LargeExists:
            return {"skipped": True, "counts": large.counts()}
        return {"skipped": False, **info}
