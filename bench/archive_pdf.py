"""Benchmark: the year-end archive PDF (ledger/archive) against one bare WeasyPrint render of the same pages.

    .venv/bin/python bench/archive_pdf.py [--dossiers 400] [--year-dossiers 2000] [--skip-bare] [--skip-year]

Builds a throw-away SQLite database and MEDIA_ROOT under /tmp/wenming-bench/archive_pdf/, with N archived dossiers of
4 phone-sized JPEGs each (3264×2448, noise + gradient at quality 95: 3–5 MB). The source JPEGs (80 distinct ones)
are generated once and cached in /tmp/wenming-bench/archive_pdf/src, so reruns are fast; every evidence row gets its own
SHA-256, so every photo is downscaled (the archive's cache is keyed by SHA-256 and emptied before each timed run).

Measures, for N dossiers: the archive build (pages/s, peak RSS of the parent and of every child) and, in the same
run, the same body pages rendered by bare WeasyPrint from one HTML string in one process (pages/s, peak RSS),
then a 2,000-dossier year's build (peak RSS). Writes bench/results/archive_pdf.json.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = Path("/tmp/wenming-bench/archive_pdf")  # not /tmp/wenming-archive-*: the build sweeps stale ones
SRC = BASE / "src"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# The year-only run (--skip-first) gets its own database and media, so both runs can go at once.
RUN = BASE / ("year" if "--skip-first" in sys.argv else "main")
os.environ["DATABASE_URL"] = f"sqlite:///{RUN}/bench.sqlite3"
os.environ["MEDIA_ROOT"] = str(RUN / "media")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

DISTINCT = 80
PHOTO_SIZE = (3264, 2448)


def source_jpegs() -> list[Path]:
    from PIL import Image

    SRC.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(DISTINCT):
        path = SRC / f"photo-{i:03d}.jpg"
        if not path.exists() or not 3_000_000 <= path.stat().st_size <= 5_000_000:
            noise = Image.effect_noise(PHOTO_SIZE, 12 + i % 3)
            grad = Image.linear_gradient("L").rotate(i * 37).resize(PHOTO_SIZE)
            rgb = Image.merge(
                "RGB", (Image.blend(noise, grad, 0.5), noise, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
            )
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=95)
            path.write_bytes(out.getvalue())
        paths.append(path)
    return paths


def setup_year(n: int, year: int, tag: str, *, shared_photos: bool = False):
    """A campaign of its own with n archived dossiers × 4 photos, stored under MEDIA_ROOT/bench/."""
    import datetime

    from django.utils import timezone

    from campaigns.models import Campaign
    from ledger.models import Event, EventStatus, EvidenceFile, Slot
    from organizations.models import Organization, OrganizationKind

    sources = source_jpegs()
    media = Path(os.environ["MEDIA_ROOT"]) / "bench"
    media.mkdir(parents=True, exist_ok=True)
    stored = []
    for p in sources:
        target = media / p.name
        if not target.exists():
            shutil.copyfile(p, target)
        stored.append((f"bench/{p.name}", target.stat().st_size, hashlib.sha256(target.read_bytes()).hexdigest()))
    unit, _ = Organization.objects.get_or_create(
        code=f"bench-{tag}", defaults={"name": f"基准单位{tag}", "kind": OrganizationKind.UNIT}
    )
    campaign = Campaign.objects.create(
        unit=unit, title=f"基准单位{tag}{year}年度文明单位创建", start_year=year, end_year=year
    )
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(
            campaign=campaign,
            organization=unit,
            title=f"基准活动第{i + 1}场：“文明交通我先行”志愿服务",
            start_date=datetime.date(year, 1 + i % 12, 1 + i % 28),
            place="单位会议室",
            category=["meeting", "study", "volunteer", "publicity"][i % 4],
            participant_count=20 + i % 30,
            description="组织干部职工开展志愿服务活动，宣传文明交通知识，劝导不文明行为。" * 3,
            archive_number=f"{year}-{tag}-{i + 1:04d}",
            status=EventStatus.ARCHIVED,
            submitted_at=now,
            archived_at=now,
            is_complete=True,
        )
        for i in range(n)
    )
    rows = []
    for i, event in enumerate(events):
        for j in range(4):
            name, size, sha = stored[(i * 4 + j) % len(stored)]
            rows.append(
                EvidenceFile(
                    event=event,
                    slot=Slot.PHOTO,
                    file=name,
                    original_name=f"IMG_{i:04d}_{j}.jpg",
                    size=size,
                    detected_type="jpg",
                    content_type="image/jpeg",
                    # Its own SHA-256 per row, so the archive downscales every photo (its cache is by SHA-256).
                    sha256=sha if shared_photos else hashlib.sha256(f"{sha}-{event.pk}-{j}".encode()).hexdigest(),
                    width=PHOTO_SIZE[0],
                    height=PHOTO_SIZE[1],
                    taken_at=now,
                    caption=f"活动现场{j + 1}",
                )
            )
    EvidenceFile.objects.bulk_create(rows, batch_size=1000)
    return campaign


def clear_cache() -> None:
    shutil.rmtree(Path(os.environ["MEDIA_ROOT"]) / "archive-cache", ignore_errors=True)


def run_archive(campaign, year: int, out: Path, *, cold: bool = True) -> dict:
    """The archive build in a fresh process (manage.py build_archive --json), so its peak RSS is its own.

    cold: the image cache emptied first (every photo downscaled); warm: a rebuild that finds them cached."""
    if cold:
        clear_cache()
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "build_archive",
            "--campaign",
            str(campaign.pk),
            "--year",
            str(year),
            "-o",
            str(out),
            "--json",
            "--detail",
        ],
        stdout=subprocess.PIPE,
        stderr=(RUN / "progress.log").open("a"),  # one line per chunk: dossiers, pages, peak so far
        text=True,
        check=True,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["wall_seconds"] = round(time.monotonic() - started, 2)
    data["pages_per_second"] = round(data["pages"] / data["seconds"], 2)
    return data


BARE = r"""
import json, sys, time
from weasyprint import HTML
from ledger.archive.fetcher import ArchiveFetcher
from ledger.archive.memory import peak_rss_mb
html = open(sys.argv[1], encoding="utf-8").read()
started = time.monotonic()
doc = HTML(string=html, base_url=sys.argv[3], url_fetcher=ArchiveFetcher(json.loads(sys.argv[4]))).render()
doc.write_pdf(sys.argv[2])
print(json.dumps({"pages": len(doc.pages), "seconds": round(time.monotonic() - started, 2),
                  "peak_rss_mb": peak_rss_mb()}))
"""


def run_bare(campaign, year: int, out: Path) -> dict:
    """The same body pages from one HTML string in one WeasyPrint process (images already downscaled: the
    archive run just made them; downscaling is the archive's extra work, not WeasyPrint's)."""
    from django.conf import settings
    from django.template.loader import render_to_string

    from ledger.archive import content as archive_content
    from ledger.archive import render

    content = archive_content.gather(campaign=campaign, year=year)
    chapters = []
    for chunk in render.plan_chunks(content, chunk_dossiers=10**9, chunk_picture_bytes=1 << 62):
        pictures = render._prepare_pictures(chunk.dossiers)
        for _kind, _source, target in pictures.prepare:  # the archive run just made them all
            assert Path(target).exists(), target
        chapters.extend(chunk.chapters)
    html = render_to_string(
        "ledger/archive/document.html",
        {"part": "body", "content": content, "chapters": chapters, "css_url": render.css_url()},
    )
    html_path = RUN / "bare.html"
    html_path.write_text(html, encoding="utf-8")
    roots = [*render._static_roots(), str(render.cache_dir())]
    base_url = Path(settings.BASE_DIR).joinpath("static").as_uri() + "/"
    proc = subprocess.run(
        [sys.executable, "-c", BARE, str(html_path), str(out), base_url, json.dumps(roots)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["pages_per_second"] = round(data["pages"] / data["seconds"], 2)
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=400)
    parser.add_argument("--year-dossiers", type=int, default=2000)
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--skip-first", action="store_true", help="only the year's build")
    parser.add_argument(
        "--year-shared-photos",
        action="store_true",
        help="the year's rows share the 80 photos' SHA-256 (downscaled once: measures layout memory, not downscaling)",
    )
    args = parser.parse_args()

    RUN.mkdir(parents=True, exist_ok=True)
    (RUN / "bench.sqlite3").unlink(missing_ok=True)
    shutil.rmtree(Path(os.environ["MEDIA_ROOT"]) / "archive-cache", ignore_errors=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t = time.monotonic()
    source_jpegs()
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()[0]},
        "photo": {
            "size_px": list(PHOTO_SIZE),
            "distinct_sources": DISTINCT,
            "mb_min": round(min(p.stat().st_size for p in SRC.glob("*.jpg")) / 1e6, 2),
            "mb_max": round(max(p.stat().st_size for p in SRC.glob("*.jpg")) / 1e6, 2),
            "generation_seconds": round(time.monotonic() - t, 1),
        },
    }
    out = ROOT / "bench" / "results" / ("archive_pdf_year.json" if args.skip_first else "archive_pdf.json")
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every phase, so a long run's early numbers are kept
        results["machine"]["load_avg_now"] = os.getloadavg()[0]
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    if not args.skip_first:
        campaign = setup_year(args.dossiers, 2026, "s")
        results["archive"] = {"dossiers_requested": args.dossiers, **run_archive(campaign, 2026, RUN / "archive.pdf")}
        print(json.dumps(results["archive"]), flush=True)
        save()
        results["archive_rebuild_warm_cache"] = run_archive(campaign, 2026, RUN / "archive.pdf", cold=False)
        print(json.dumps(results["archive_rebuild_warm_cache"]), flush=True)
        save()
        if not args.skip_bare:
            results["bare_weasyprint"] = run_bare(campaign, 2026, RUN / "bare.pdf")
            print(json.dumps(results["bare_weasyprint"]), flush=True)
            bare_rate = results["bare_weasyprint"]["pages_per_second"]
            results["ratio_to_bare_rate"] = {
                "cold_cache": round(results["archive"]["pages_per_second"] / bare_rate, 2),
                "warm_cache": round(results["archive_rebuild_warm_cache"]["pages_per_second"] / bare_rate, 2),
            }
            save()
    if not args.skip_year:
        year_campaign = setup_year(args.year_dossiers, 2026, "y", shared_photos=args.year_shared_photos)
        results["year"] = {
            "dossiers_requested": args.year_dossiers,
            "shared_photos": args.year_shared_photos,
            **run_archive(year_campaign, 2026, RUN / "year.pdf", cold=not args.year_shared_photos),
        }
        print(json.dumps(results["year"]), flush=True)
    from ledger.archive.memory import peak_rss_mb

    results["bench_process_peak_rss_mb"] = peak_rss_mb()
    save()
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
