"""Every document shape in tests/fixtures/shapes/ gives exactly what a reader finds in it; prints the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from campaigns.plan_parser import parse_plan
from campaigns.task_table import parse_task_table
from evaluation.published import build_system, read_table
from tests.campaigns.test_task_table import office_table
from tests.evaluation.test_published import city_workbook, word_table
from tests.volunteers.test_imports import workbook
from volunteers.imports import parse_hours_workbook

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"
PLAN_SHAPES = sorted(SHAPES.glob("*.txt"))


def _found(path: Path) -> dict:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    plan = parse_plan(path.read_text(encoding="utf-8"), default_year=expected["default_year"])
    return {
        "default_year": expected["default_year"],
        "year": plan.year,
        "end_year": plan.end_year,
        "year_from_default": plan.year_from_default,
        "tasks": [
            [t.number, t.title, t.lead_units, t.cooperating_units, t.due.isoformat() if t.due else None, t.recurrence]
            for t in plan.tasks
        ],
        "leadership": [[m.role, m.name] for m in plan.leadership],
        "phases": [[p.name, p.start and p.start.isoformat(), p.end and p.end.isoformat()] for p in plan.phases],
    }


def test_there_is_a_fixture_per_plan_shape():
    names = {p.stem for p in PLAN_SHAPES}
    assert {
        "oneline",
        "resp-words",
        "ordinal-section",
        "table-text",
        "table-tabs",
        "leadership",
        "year-cited",
        "year-none",
        "no-tasks",
    } <= names
    for path in PLAN_SHAPES:
        assert path.with_suffix(".expected.json").exists(), path


@pytest.mark.parametrize("path", PLAN_SHAPES, ids=[p.stem for p in PLAN_SHAPES])
def test_plan_shape(path: Path):
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert _found(path) == expected


def test_print_the_shape_table(capsys, settings):
    settings.VOLUNTEERS_HOURS_STEP = "0.1"
    rows = []
    for path in PLAN_SHAPES:
        expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        found = _found(path)
        with_units = sum(bool(t[2] or t[3]) for t in found["tasks"])
        rows.append(
            (
                f"plan:{path.stem}",
                f"{len(found['tasks'])} tasks ({with_units} with units), {len(found['leadership'])} leaders, "
                f"{len(found['phases'])} phases, year {found['year']}",
                found == expected,
            )
        )
    table = parse_task_table(office_table(), year=2026)
    rows.append(
        ("excel:office-table", f"{len(table.rows)} tasks, header on row {table.header_line}", len(table.rows) == 4)
    )
    for shape, data, name, criteria in (
        ("system:city-xlsx", city_workbook(), "体系.xlsx", 5),
        ("system:word-docx", word_table(), "细则.docx", 3),
    ):
        system = build_system(read_table(data, name)).system
        found = f"{len(system.items)} items, {len(system.criteria)} criteria, {len(system.negatives)} negatives"
        rows.append((shape, found, not system.errors and len(system.criteria) == criteria))
    hours = parse_hours_workbook(
        workbook(
            [["陈思远 8:50-11:00 2.1+1=3.1小时", "1358997****", "宣传", "2026-06-01"]],
            headers=["姓名", "手机号", "活动名称", "日期"],
        )
    )
    rows.append(
        (
            "hours:platform-line",
            f"{len(hours.rows)} rows, {hours.rows[0].hours if hours.rows else '-'} h",
            bool(hours.rows) and str(hours.rows[0].hours) == "3.1",
        )
    )
    with capsys.disabled():
        print("\n  shape                      | found                                                  | right")
        for shape, found, right in rows:
            print(f"  {shape:<26} | {found:<54} | {'yes' if right else 'NO'}")
    assert all(right for *_, right in rows)
