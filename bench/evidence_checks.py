"""Benchmark: the evidence checks on photos (ledger/evidence_checks.py), hashing and OCR measured separately.

    .venv/bin/python bench/evidence_checks.py [--photos 100] [--rounds 3] [--ocr-photos 4] [--threads 2]
                                              [--workers 2] [--wheel rapidocr_onnxruntime-1.4.4-py3-none-any.whl]

Hashing: N distinct generated photos (tests/ledger/photo_samples.py) written to disk as phone-sized JPEGs
(4032×3024 at q 90 and q 95) and as 1280×960 JPEGs; pHash+dHash from each file (read, JPEG draft decode at 1/8
scale in grey, hashes) one at a time, in --workers threads (ec.hash_files) and in --workers processes; best of
--rounds, with the load average of each round (the machine may be shared) and CPU ms per photo. Target ≥ 50/s.
Duplicates: the smallest distance between distinct photos and the largest between a photo and its recycled copy
(3 % crop, 0.6× resize, q 70), against settings' EVIDENCE_DUPLICATE_MAX_DISTANCE default (28).
OCR: the red Noto CJK banner "某市市场监督管理局 学雷锋志愿服务 2026年3月5日", rotated 5°, on 1600×1200 and 4032×3024
photos; seconds per photo through run_ocr (child process, model load included) with --threads onnxruntime threads.
Wheel: the rapidocr-onnxruntime 1.4.4 wheel's size (measured with --wheel, else the recorded download), and the
installed size of it and of its runtime, summed from each dist-info RECORD.
Writes bench/results/evidence_checks.json. Needs no database.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import itertools
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
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
OCR_RUNTIME = ("onnxruntime", "opencv-python", "shapely", "pyclipper", "six")  # requirements-ocr.txt, besides it


def _hash_in_process(paths: list[str]) -> int:
    for path in paths:
        ec.photo_hashes(Path(path).read_bytes())
    return len(paths)


def _timed(fn) -> tuple[float, float, list[float]]:
    """Wall and CPU seconds of fn() (CPU of this process, threads included), and the load average around it."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu, [round(x, 2) for x in os.getloadavg()]


def bench_hashing(n: int, workers: int, rounds: int) -> dict:
    """pHash+dHash from image files on disk (read and decode included), as a worker or `scan_evidence` does:
    one at a time, `workers` threads (ec.hash_files: Pillow drops the GIL while decoding), and `workers`
    processes for comparison. Each figure is the best of `rounds` runs: the machine is shared, so the load
    average is recorded with each run, and CPU ms per photo says what free cores would do."""
    scenes = [scene(10_000 + i) for i in range(n)]
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size, quality in (
            ("phone_4032x3024_q90", (4032, 3024), 90),
            ("phone_4032x3024_q95", (4032, 3024), 95),
            ("1280x960_q90", (1280, 960), 90),
        ):
            paths = []
            for i, s in enumerate(scenes):
                path = Path(tmp) / f"{label}-{i}.jpg"
                path.write_bytes(jpeg_bytes(s.resize(size), quality=quality))
                paths.append(str(path))
            ec.hash_files(paths[:2], workers=1)  # imports (scipy) outside the timing
            runs: dict[str, list] = {"one_thread": [], f"{workers}_threads": [], f"{workers}_processes": []}
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(_hash_in_process, [paths[:1]] * workers))  # start and import outside the timing
                chunks = [paths[i::workers] for i in range(workers)]
                for _ in range(rounds):
                    runs["one_thread"].append(_timed(lambda p=paths: ec.hash_files(p, workers=1)))
                    runs[f"{workers}_threads"].append(_timed(lambda p=paths: ec.hash_files(p, workers=workers)))
                    runs[f"{workers}_processes"].append(_timed(lambda c=chunks: list(pool.map(_hash_in_process, c))))
            best_cpu = min(cpu for _w, cpu, _l in runs["one_thread"])
            out[label] = {
                "photos": n,
                "mean_file_kb": round(statistics.mean(Path(p).stat().st_size for p in paths) / 1024),
                **{f"{key}_photos_per_s": round(n / min(w for w, _c, _l in values), 1) for key, values in runs.items()},
                **{
                    f"{key}_photos_per_s_all_rounds": [round(n / w, 1) for w, _c, _l in values]
                    for key, values in runs.items()
                },
                "load_avg_per_round": [values[-1] for values in runs["one_thread"]],
                "cpu_ms_per_photo": round(best_cpu / n * 1000, 1),
                f"capacity_on_{workers}_free_cores_photos_per_s": round(workers * n / best_cpu, 1),
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
    if n < 1:
        return {"installed": True, "note": "not measured (--ocr-photos 0)"}
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
    return {
        "installed": True,
        "threads": threads,
        "max_side": 1280,
        "runs": runs,
        "seconds_per_photo_mean": round(statistics.mean(seconds), 2) if seconds else None,
        "seconds_per_photo_max": max(seconds) if seconds else None,
        "child_cpu_seconds_mean": round(statistics.mean(r["child_cpu_seconds"] for r in runs), 2),
        "photos_per_s": round(len(seconds) / sum(seconds), 2) if seconds else None,
    }


def _record_bytes(dist: str) -> int | None:
    """Bytes of an installed distribution, summed from its dist-info RECORD (what its wheel unpacks to)."""
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files)


def wheel_sizes(wheel: Path | None) -> dict:
    measured = wheel is not None and wheel.is_file()
    size = wheel.stat().st_size if measured else WHEEL_BYTES
    installed = _record_bytes("rapidocr-onnxruntime")
    runtime = {d: _record_bytes(d) for d in OCR_RUNTIME}
    return {
        "package": "rapidocr-onnxruntime==1.4.4",
        "wheel_bytes": size,
        "wheel_mb": round(size / 2**20, 1),
        "wheel_source": f"measured: {wheel.name}" if measured else "recorded from `pip download` (2026-12-01)",
        "installed_bytes_from_record": installed,
        "installed_mb": round(installed / 2**20, 1) if installed else None,
        "runtime_installed_bytes_from_record": runtime,
        "runtime_installed_mb": round(sum(v or 0 for v in runtime.values()) / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="hashing runs; the best is reported")
    parser.add_argument("--ocr-photos", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads per OCR")
    parser.add_argument("--workers", type=int, default=2, help="hashing threads / processes")
    parser.add_argument("--wheel", type=Path, help="the downloaded rapidocr-onnxruntime wheel, to measure its size")
    args = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_at_start": load_before},
        "hashing": bench_hashing(args.photos, args.workers, args.rounds),
        "duplicates": bench_duplicates(min(args.photos * 2, 300)),
        "ocr": bench_ocr(args.ocr_photos, args.threads),
        "wheel": wheel_sizes(args.wheel),
    }
    result["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    phone = result["hashing"]["phone_4032x3024_q90"]
    result["hashing_target_50_per_s"] = {
        "wall_with_workers": phone[f"{args.workers}_threads_photos_per_s"] >= 50,
        "wall_one_thread": phone["one_thread_photos_per_s"] >= 50,
        "cpu_capacity": phone[f"capacity_on_{args.workers}_free_cores_photos_per_s"] >= 50,
    }
    out = ROOT / "bench" / "results" / "evidence_checks.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
