"""Benchmark: the plan parser (pure function, no database), run on demand.

`python bench/campaigns_plan_parser.py` parses each shared plan in ../shared/domain/plans/ and a synthetic
plan of 1,980 items (99 sections of 20) with responsibility clauses, and writes the median times (ms) and the
counts found to bench/results/campaigns_plan_parser.json. Target: a 1,980-item plan in under one second.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from campaigns.plan_parser import int_to_cn, parse_plan  # noqa: E402

PLANS = ROOT.parent / "shared" / "domain" / "plans"


def synthetic(n: int) -> str:
    lines = ["2026年度某单位文明单位创建方案", "一、主要任务"]
    for s in range(n // 20):
        lines.append(f"（{int_to_cn(s + 1)}）第{s + 1}项重点工作")
        for i in range(20):
            lines.append(
                f"{i + 1}.开展第{i + 1}项活动，组织干部职工参与，{(i % 12) + 1}月底前完成。"
                f"（责任单位：办公室牵头，人事科、某某集团（某某报社、某某电视台）配合）"
            )
    return "\n".join(lines)


def timed(text: str, runs: int = 50) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        plan = parse_plan(text)
        times.append((time.perf_counter() - start) * 1000)
        count = len(plan.tasks)
    return round(statistics.median(times), 2), count


def main() -> None:
    results = {}
    for path in sorted(PLANS.glob("*.txt")):
        if path.name == "README.md":
            continue
        ms, count = timed(path.read_text(encoding="utf-8"))
        results[path.name] = {"median_ms": ms, "tasks": count}
    ms, count = timed(synthetic(1980), runs=5)
    results["synthetic-1980"] = {"median_ms": ms, "tasks": count}
    out = ROOT / "bench" / "results" / "campaigns_plan_parser.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
