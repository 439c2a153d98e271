"""Build template workbooks in tests: from plain rows, and from the real samples in ../shared/domain/evaluation/."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
from django.conf import settings

from evaluation.workbook import NEGATIVE_COLUMNS, SYSTEM_COLUMNS

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "domain" / "evaluation"
NATIONAL_2012 = SAMPLES / "全国文明单位测评体系-2012试行-节选.json"
CITY_TEMPLATE = SAMPLES / "市级文明单位测评体系-参考模板.json"


def make_workbook(rows, *, info=None, negatives=None, bonuses=None, columns=SYSTEM_COLUMNS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "测评体系"
    ws.append(list(columns))
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:  # text like "=…" stays text, as a user typing '=… in Excel would see
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    ws_info = wb.create_sheet("说明")
    ws_info.append(["项目", "内容"])
    for key, value in (info or {}).items():
        ws_info.append([key, value])
    ws_neg = wb.create_sheet("负面清单")
    ws_neg.append(NEGATIVE_COLUMNS)
    for row in negatives or []:
        ws_neg.append(list(row))
    if bonuses is not None:
        ws_b = wb.create_sheet("加分项目")
        ws_b.append(["编号", "内容", "最高分"])
        for row in bonuses:
            ws_b.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _months(scope: str) -> int | None:
    m = re.search(r"([一两二三四五六七八九十\d]+)年", scope or "")
    if not m:
        return None
    digits = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
    n = int(m.group(1)) if m.group(1).isdigit() else digits.get(m.group(1), 0)
    return n * 12 or None


def sample_to_workbook(path: Path) -> tuple[bytes, dict]:
    """Convert one sample JSON into the template: each sample "indicator" (code, content, points, method) becomes an
    indicator with one criterion carrying the content; an item's 材料清单 is spread over its criteria in order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for item in data["items"]:
        item_cells = [item["code"], item["name"], item["points"]]
        indicators = item["indicators"]
        if not indicators:
            rows.append(item_cells)
            continue
        materials = list(item.get("materials") or [])
        for n, ind in enumerate(indicators):
            ind_cells = [ind["code"], ind["name"] or "", None]
            if not ind["content"]:
                rows.append([*item_cells, *ind_cells, None, None, None, None, (ind["method"] or "")[:40]])
                continue
            evidence = materials[n] if n < len(materials) else ""
            if n == len(indicators) - 1 and len(materials) > len(indicators):
                evidence = "；".join(materials[n:])
            rows.append(
                [
                    *item_cells,
                    *ind_cells,
                    f"{ind['code']}.1",
                    ind["content"],
                    ind["points"],
                    "",
                    (ind["method"] or "").split(" ")[0],
                    evidence,
                ]
            )
    negatives = [
        [str(n + 1), neg["text"], "一票否决", None, _months(neg.get("scope", ""))]
        for n, neg in enumerate(data.get("negative_list") or [])
    ]
    info = {"名称": data["name"], "年份": data.get("version") or "", "总分": data.get("total_points")}
    return make_workbook(rows, info=info, negatives=negatives), data
