"""Benchmark: the evidence checks on photos (ledger/evidence_checks.py), hashing and OCR measured separately.

    .venv/bin/python bench/evidence_checks.py [--photos 100] [--ocr-photos 5] [--threads 2]

Hashing: N distinct generated photos (tests/ledger/photo_samples.py) saved as phone-sized JPEGs (4032×3024, q 90)
and as 1280×960 JPEGs; times pHash+dHash from the file's bytes (decode included) in one process and in --workers
processes, and CPU ms per photo (the machine may be shared: the load average is recorded). Target ≥ 50 photos/s.
Duplicates: the smallest distance between distinct photos and the largest between a photo and its recycled copy
(3 % crop, 0.6× resize, q 70), against settings' EVIDENCE_DUPLICATE_MAX_DISTANCE default (28).
OCR: the red Noto CJK banner "某市市场监督管理局 学雷锋志愿服务 2026年3月5日", rotated 5°, on 1600×1200 and 4032×3024
photos; seconds per photo through run_ocr (child process, model load included) with --threads onnxruntime threads.
Also records the size of the rapidocr-onnxruntime 1.4.4 wheel and of its installed package.
Writes bench/results/evidence_checks.json. Needs no database.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import evidence_checks as ec  # noqa: E402
from tests.ledger.photo_samples import banner_photo, jpeg_bytes, recycled_copy, scene  # noqa: E402

# `pip download --no-deps rapidocr-onnxruntime==1.4.4` (2026-12-01): rapidocr_onnxruntime-1.4.4-py3-none-any.whl
WHEEL_BYTES = 14_915_192
BANNER = "某市市场监督管理局 学雷锋志愿服务 2026年3月5日"
DEFAULT_MAX_DISTANCE = 28


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _hash_all(files: list[bytes]) -> int:
    for data in files:
        ec.photo_hashes(data)
    return len(files)


def bench_hashing(n: int, workers: int) -> dict:
    """Wall time in one process and in `workers` processes (a worker's concurrency), and CPU seconds per photo:
    on a shared, loaded machine the CPU time says what two free cores would do."""
    scenes = [scene(10_000 + i) for i in range(n)]
    out: dict = {}
    for label, size in (("phone_4032x3024", (4032, 3024)), ("1280x960", (1280, 960))):
        files = [jpeg_bytes(s.resize(size), quality=90) for s in scenes]
        ec.photo_hashes(files[0])  # imports (scipy) outside the timing
        wall, cpu = time.perf_counter(), time.process_time()
        _hash_all(files)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        chunks = [files[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_hash_all, [files[:1]] * workers))  # start and import outside the timing
            started = time.perf_counter()
            list(pool.map(_hash_all, chunks))
            pool_wall = time.perf_counter() - started
        out[label] = {
            "photos": n,
            "mean_file_kb": round(statistics.mean(len(f) for f in files) / 1024),
            "one_process_photos_per_s": round(n / wall, 1),
            f"{workers}_processes_photos_per_s": round(n / pool_wall, 1),
            "cpu_ms_per_photo": round(cpu / n * 1000, 1),
            f"capacity_on_{workers}_free_cores_photos_per_s": round(workers * n / cpu, 1),
        }
    return out


def bench_duplicates(n: int) -> dict:
    photos = [scene(20_000 + i) for i in range(n)]
    hashes = [ec.photo_hashes(jpeg_bytes(p)) for p in photos]
    distinct = [ec.distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    copies = [
        ec.distance(h, ec.photo_hashes(jpeg_bytes(recycled_copy(p, crop=0.03, scale=0.6), quality=70)))
        for p, h in zip(photos, hashes, strict=True)
    ]
    return {
        "photos": n,
        "pairs": len(distinct),
        "max_distance_setting": DEFAULT_MAX_DISTANCE,
        "distinct_min_distance": min(distinct),
        "false_duplicates": sum(d <= DEFAULT_MAX_DISTANCE for d in distinct),
        "recycled_copy_max_distance": max(copies),
        "recycled_copies_missed": sum(d > DEFAULT_MAX_DISTANCE for d in copies),
    }


def bench_ocr(n: int, threads: int) -> dict:
    if not ec.ocr_installed():
        return {"installed": False, "note": "OCR 未启用（未安装 rapidocr-onnxruntime）"}
    runs = []
    for i in range(n):
        size = (4032, 3024) if i % 2 else (1600, 1200)
        img = ec.open_image(jpeg_bytes(banner_photo(BANNER, seed=30 + i, size=size)), max_side=1280)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = ec.run_ocr(img, timeout=60, max_side=1280, threads=threads)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        names = ec.find_name(result.text, ["某市市场监督管理局"])
        dates = ec.find_dates(result.text)
        runs.append(
            {
                "size": f"{size[0]}x{size[1]}",
                "status": result.status,
                "seconds": round(result.seconds, 2),
                "child_cpu_seconds": round(cpu, 2),
                "unit_found": bool(names),
                "date_found": [d.isoformat() for d in dates],
            }
        )
    seconds = [r["seconds"] for r in runs if r["status"] == ec.OCR_OK]
    spec = importlib.util.find_spec(ec.OCR_PACKAGE)
    return {
        "installed": True,
        "threads": threads,
        "max_side": 1280,
        "runs": runs,
        "seconds_per_photo_mean": round(statistics.mean(seconds), 2) if seconds else None,
        "seconds_per_photo_max": max(seconds) if seconds else None,
        "child_cpu_seconds_mean": round(statistics.mean(r["child_cpu_seconds"] for r in runs), 2),
        "photos_per_s": round(len(seconds) / sum(seconds), 2) if seconds else None,
        "installed_package_bytes": _dir_bytes(Path(spec.origin).parent) if spec and spec.origin else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--ocr-photos", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads per OCR")
    parser.add_argument("--workers", type=int, default=2, help="hashing processes")
    args = parser.parse_args()
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()},
        "hashing": bench_hashing(args.photos, args.workers),
        "duplicates": bench_duplicates(min(args.photos * 2, 300)),
        "ocr": bench_ocr(args.ocr_photos, args.threads),
        "wheel": {"package": "rapidocr-onnxruntime==1.4.4", "bytes": WHEEL_BYTES, "mb": round(WHEEL_BYTES / 2**20, 1)},
    }
    phone = result["hashing"]["phone_4032x3024"]
    result["hashing_target_50_per_s"] = {
        "wall_with_workers": phone[f"{args.workers}_processes_photos_per_s"] >= 50,
        "cpu_capacity": phone[f"capacity_on_{args.workers}_free_cores_photos_per_s"] >= 50,
    }
    out = ROOT / "bench" / "results" / "evidence_checks.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
