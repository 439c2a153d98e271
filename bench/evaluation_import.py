"""Benchmark: the 测评体系 workbook parser (pure function, no database), run on demand.

`python bench/evaluation_import.py` times (median of 3) parsing a template workbook of 300 and of 5,000 criteria
(the row cap), the refusal of a sheet followed by 100,000 blank rows, and the refusal of a billion-laughs
workbook, and writes them to bench/results/evaluation_import.json. Targets: 300 criteria < 1 s (real systems
have a few hundred), 5,000 (the row cap) < 10 s — openpyxl parses through defusedxml at ~100 µs a cell; refusals < 1 s.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402

from evaluation.workbook import SYSTEM_COLUMNS, parse_workbook  # noqa: E402


def workbook(n: int, blank_rows: int = 0) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("测评体系")
    ws.append(SYSTEM_COLUMNS)
    for i in range(n):
        item, ind = i // 50 + 1, i // 5 + 1
        ws.append(
            [
                str(item),
                f"项目{item}",
                10,
                f"{item}.{ind}",
                f"指标{ind}",
                2.5,
                f"{item}.{ind}.{i}",
                f"测评标准内容{i}",
                0.5,
                "",
                "材料审核",
                "提供2次会议纪要（图片3张）",
            ]
        )
    for _ in range(blank_rows):
        ws.append([" ", " ", " "])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bomb() -> bytes:
    entities = "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a0 "lol">{entities}]><x>&a9;</x>'.encode()
    src = zipfile.ZipFile(io.BytesIO(workbook(3)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, xml if info.filename.endswith("sheet1.xml") else src.read(info.filename))
    return out.getvalue()


def timed(data: bytes, runs: int = 3) -> tuple[float, int, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parsed = parse_workbook(data)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), len(parsed.criteria), len(parsed.errors)


def main() -> None:
    results = {}
    for label, data in (
        ("criteria_300", workbook(300)),
        ("criteria_5000", workbook(4999)),
        ("blank_rows_100000", workbook(3, blank_rows=100_000)),
        ("billion_laughs", bomb()),
    ):
        ms, criteria, errors = timed(data)
        results[label] = {"ms": ms, "criteria": criteria, "errors": errors, "bytes": len(data)}
        print(label, results[label])
    out = ROOT / "bench" / "results" / "evaluation_import.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
