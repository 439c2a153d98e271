"""Benchmark: previewing a 任务分解表 workbook (parse + unit matching, no database), run on demand.

`python bench/task_table_import.py` builds office-shaped tables (a title row, the header on row 2, a merged 创建内容
column, two units per cell) of 2,000 and 20,000 rows (the latter above the default cap of 5,000, so the cap is raised
for it), times the preview's work — `parse_task_table` and `match_unit_names` against a 40-department unit — as the
median of 3, and writes bench/results/task_table_import.json. Target (issue 13): 2,000 rows in under 2 s.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from openpyxl import Workbook  # noqa: E402

from campaigns.importer import match_unit_names  # noqa: E402
from campaigns.task_table import parse_task_table  # noqa: E402
from organizations.models import Organization, OrganizationKind  # noqa: E402

DEPARTMENTS = [f"第{i}科" for i in range(1, 41)]


def table(rows: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["某单位创建工作任务分解表"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "工作类别", "工作任务", "责任单位", "协同单位", "完成时间"])
    for i in range(rows):
        section = f"类别{i // 20 + 1}"
        ws.append(
            [
                f"{i // 20 + 1}.{i % 20 + 1}",
                section if i % 20 == 0 else None,
                f"具体任务内容第{i + 1}项，按要求落实并报送材料",
                f"{DEPARTMENTS[i % 40]}\n{DEPARTMENTS[(i + 7) % 40]}",
                DEPARTMENTS[(i + 3) % 40],
                "10月底前" if i % 3 else "2026-06-30",
            ]
        )
        if i % 20 == 19:
            ws.merge_cells(start_row=i - 19 + 3, start_column=2, end_row=i + 3, end_column=2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> None:
    unit = Organization(pk=1, name="某单位", code="u", kind=OrganizationKind.UNIT, path="00001/")
    orgs = [unit] + [
        Organization(pk=i + 2, name=n, code=f"d{i}", kind=OrganizationKind.DEPARTMENT, parent_id=1)
        for i, n in enumerate(DEPARTMENTS)
    ]
    results = {}
    for rows in (2000, 20000):
        data = table(rows)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            parsed = parse_task_table(data, year=2026, max_rows=rows)
            matches = match_unit_names(parsed.unit_names(), unit, orgs)
            times.append(time.perf_counter() - start)
        assert len(parsed.rows) == rows and all(m.status == "exact" for m in matches.values())
        results[f"rows_{rows}"] = {
            "seconds": round(statistics.median(times), 3),
            "rows": len(parsed.rows),
            "bytes": len(data),
            "rows_with_errors": sum(bool(r.errors) for r in parsed.rows),
        }
        print(rows, results[f"rows_{rows}"])
    out = ROOT / "bench" / "results" / "task_table_import.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
