"""Rendering the archive in bounded memory: chunks in long-lived child processes, the 目录 in a second pass, a
streaming merge.

WeasyPrint lays a whole document out in memory, so one render of a year cannot stay small. Here:

1. the body is cut into chunks (one chapter, or at most CHUNK_DOSSIERS dossiers / CHUNK_PICTURE_BYTES of pictures);
   a WorkerPool of WORKERS processes (`python -m ledger.archive.worker --serve`, WeasyPrint and fontconfig loaded
   once per process) lays them out in parallel, each reporting its real page count and where each dossier starts;
   a worker whose memory grew past RECYCLE_MB, or that has done MAX_TASKS chunks, is replaced by a fresh one;
2. the front matter (cover, 说明, 目录) is rendered twice: with placeholder numbers to learn its length (alongside
   the chunks), then with the true page numbers; its 目录 lines become link annotations to their pages at the merge;
3. the footer "第 N 页 / 共 M 页" needs M, known only now: footer-only documents (numbers via
   `@page :first { counter-reset: page N }`) are rendered in parallel and stamped onto each page as a form XObject
   while 4. pypdf reads the chunk PDFs one at a time and their objects are streamed into the output, so the merge
   holds one chunk, never the year.

Photos are downscaled (Pillow draft + thumbnail, ≤ MAX_SIDE px) and small PDF originals' first pages drawn (pdftoppm,
bounded) into MEDIA_ROOT/archive-cache/<sha256>-… by the worker about to lay out their chunk; a rebuild finds them.
With a storage that has no local paths (S3, MEDIA_STORAGE=s3) nothing goes to MEDIA_ROOT: the originals are read
through storage.open() by the building process and their downscaled copies (PDFs: a temporary local copy drawn by
pdftoppm, then deleted) kept in the build's own work folder, removed with it.
Work folders are /tmp/wenming-archive-*, marked with their owner; a build first sweeps those whose owner is dead
(a SIGKILLed build), so a retry cleans up after the attempt it replaces.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from organizations.media import has_local_paths, local_copy

from .content import ArchiveContent, Dossier, PlacedChapter, PlacedSection
from .images import MAX_SIDE, PDF_PREVIEW_MAX_BYTES, downscale_stream, pdf_first_page
from .memory import peak_rss_mb, rss_mb

logger = logging.getLogger(__name__)

CHUNK_DOSSIERS = 50
CHUNK_PICTURE_BYTES = 96 * 1024 * 1024  # estimated downscaled JPEG bytes a chunk may hold (WeasyPrint keeps them)
FOOTER_PAGES = 400
PLACEHOLDER_PAGE = 99999
WORKER_TIMEOUT = 1800
WORKERS = 2
RECYCLE_MB = 400
MAX_TASKS = 25
WORK_PREFIX = "wenming-archive-"
OWNER_FILE = ".owner"
STALE_UNMARKED_SECONDS = 3 * 3600
CSS_PX = 0.75  # WeasyPrint's CSS px → PDF pt


class ArchiveBuildError(RuntimeError):
    """The archive could not be built (a chunk failed to render); the message is for the log and the user."""


@dataclass
class BuildStats:
    pages: int = 0
    dossiers: int = 0
    photos: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    sha256: str = ""
    chunks: int = 0
    refused: list[str] = field(default_factory=list)
    dossier_pages: dict[int, int] = field(default_factory=dict)
    workers: int = 0
    worker_processes: int = 0
    peak_worker_mb: float = 0.0
    peak_parent_mb: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    opened: set[str] = field(default_factory=set)
    served: set[str] = field(default_factory=set)
    worker_seconds: dict[str, float] = field(default_factory=dict)  # summed over every render: prepare, layout…

    def as_json(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "dossiers": self.dossiers,
            "photos": self.photos,
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "sha256": self.sha256,
        }

    def detail(self) -> dict[str, Any]:
        return {
            "chunks": self.chunks,
            "workers": self.workers,
            "worker_processes": self.worker_processes,
            "peak_worker_mb": round(self.peak_worker_mb, 1),
            "peak_parent_mb": round(self.peak_parent_mb, 1),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "worker_seconds": {k: round(v, 2) for k, v in self.worker_seconds.items()},
        }


# ------------------------------------------------------------------------------
# Work folders: marked with their owner, swept when the owner is gone
# ------------------------------------------------------------------------------
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner_alive(owner: dict) -> bool:
    pid = int(owner.get("pid", 0))
    if pid <= 0 or owner.get("boot") != _boot_id():
        return False
    start = _start_time(pid)
    return bool(start) and start == owner.get("start")


def sweep_stale_workdirs(root: str | Path | None = None) -> list[Path]:
    """Remove /tmp/wenming-archive-* folders left by builds that died (SIGKILL, OOM): those whose owner process is
    gone, and unmarked ones older than STALE_UNMARKED_SECONDS. Folders of running builds stay."""
    removed = []
    uid = os.getuid()
    for path in Path(root or tempfile.gettempdir()).glob(WORK_PREFIX + "*"):
        try:
            st = path.lstat()
            if not path.is_dir() or path.is_symlink() or st.st_uid != uid:
                continue
            try:
                owner = json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))
            except FileNotFoundError:
                if time.time() - st.st_mtime < STALE_UNMARKED_SECONDS:
                    continue  # being created this instant, or an old-style folder: left to age
                owner = {}
            except (OSError, ValueError):
                owner = {}
            if owner and _owner_alive(owner):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
        logger.info("archive: swept stale work folder %s", path)
    return removed


def make_workdir() -> Path:
    sweep_stale_workdirs()
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX))
    owner = {"pid": os.getpid(), "start": _start_time(os.getpid()), "boot": _boot_id()}
    (work / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    return work


# ------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------
def cache_dir(work: Path | None = None) -> Path:
    """Where downscaled pictures go: MEDIA_ROOT/archive-cache for a local storage (kept, a rebuild finds them);
    for a storage without local paths, the build's work folder `work` (removed with it)."""
    if work is not None and not has_local_paths():
        path = Path(work) / "cache"
    else:
        path = Path(settings.MEDIA_ROOT) / "archive-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _local_path(storage_name: str) -> str | None:
    try:
        return default_storage.path(storage_name)
    except NotImplementedError:
        return None


def downscaled(sha256: str, storage_name: str, *, max_side: int = MAX_SIDE, cache: Path | None = None) -> Path | None:
    """The cached ≤ max_side JPEG of a stored image, made here (in-process) when missing; None when unreadable."""
    target = (cache or cache_dir()) / f"{sha256}-{max_side}.jpg"
    if target.exists():
        return target
    try:
        with default_storage.open(storage_name, "rb") as fh:
            ok = downscale_stream(fh, target, max_side=max_side)
    except OSError:
        logger.warning("archive: image %s could not be opened", storage_name, exc_info=True)
        return None
    return target if ok else None


@dataclass
class Pictures:
    files: list[str] = field(default_factory=list)  # ready: the fetcher may serve them
    prepare: list[list[str]] = field(default_factory=list)  # [kind, source, target]: the worker makes them first


def _pdf_page_from_storage(storage_name: str, target: Path) -> None:
    """The first page of a stored PDF drawn here, from a temporary local copy (pdftoppm needs a file)."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pdfsrc-") as tmp:
        try:
            source = local_copy(storage_name, Path(tmp) / "original.pdf")
        except OSError:
            logger.warning("archive: PDF %s could not be read from the storage", storage_name, exc_info=True)
            return
        pdf_first_page(source, target)


def _prepare_pictures(dossiers: list[Dossier], work: Path | None = None) -> Pictures:
    """Name every picture of these dossiers by its cache file; those not cached yet go to the worker to make
    (from a storage without local paths: made here, into `work`'s cache, see cache_dir).

    A picture the worker cannot make is simply missing: the fetcher fails it and WeasyPrint prints the img's alt."""
    out = Pictures()
    cache = cache_dir(work)
    seen: set[str] = set()
    for d in dossiers:
        pictures = list(d.photos) + [r.screenshot for r in d.reports if r.screenshot is not None]
        for p in pictures:
            target = cache / f"{p.sha256}-{MAX_SIDE}.jpg"
            if not target.exists() and str(target) not in seen:
                source = _local_path(p.storage_name)
                if source is None:  # a storage without local paths: made here
                    downscaled(p.sha256, p.storage_name, cache=cache)
                else:
                    out.prepare.append(["photo", source, str(target)])
            seen.add(str(target))
            p.path = str(target)
            p.url = target.as_uri()  # type: ignore[attr-defined]
            out.files.append(str(target))
        for f in d.pdfs:
            if f.size > PDF_PREVIEW_MAX_BYTES or not f.storage_name:
                continue
            source = _local_path(f.storage_name)
            target = cache / f"{f.sha256}-p1.jpg"
            if not target.exists() and str(target) not in seen:
                if source is None:  # a storage without local paths: drawn here
                    _pdf_page_from_storage(f.storage_name, target)
                else:
                    out.prepare.append(["pdf", source, str(target)])
            seen.add(str(target))
            f.preview_url = target.as_uri()
            out.files.append(str(target))
    return out


def _picture_bytes(dossier: Dossier) -> int:
    """What a dossier's pictures will weigh once downscaled (the cache file when there, else an estimate)."""
    total = 0
    cache = cache_dir() if has_local_paths() else None  # elsewhere each build's cache starts empty
    for p in list(dossier.photos) + [r.screenshot for r in dossier.reports if r.screenshot is not None]:
        try:
            if cache is None:
                raise FileNotFoundError
            total += (cache / f"{p.sha256}-{MAX_SIDE}.jpg").stat().st_size
        except OSError:
            total += 1_000_000  # a 1600 px JPEG of a busy photo
    return total + 200_000 * len(dossier.pdfs)


# ------------------------------------------------------------------------------
# The worker pool
# ------------------------------------------------------------------------------
class _Worker:
    def __init__(self, workdir: Path, serial: int) -> None:
        self.log_path = workdir / f"worker-{serial}.log"
        self.log = open(self.log_path, "w+b")  # noqa: SIM115 (kept open for the worker's life)
        env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ledger.archive.worker", "--serve"],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            bufsize=0,
        )
        self.buffer = b""
        self.tasks = 0
        self.key: Any = None
        self.deadline = 0.0
        self.peak_mb = 0.0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, key: Any, spec: dict) -> None:
        self.key, self.deadline = key, time.monotonic() + WORKER_TIMEOUT
        self.proc.stdin.write((json.dumps(spec) + "\n").encode())

    def read(self) -> dict | None:
        """Read what is there; the report once a whole line has come. Raises when the worker died."""
        data = os.read(self.proc.stdout.fileno(), 1 << 16)
        if not data:
            self.proc.wait(timeout=10)
            raise ArchiveBuildError(f"档案排版进程异常退出（代码 {self.proc.returncode}）")
        self.buffer += data
        if b"\n" not in self.buffer:
            return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def stderr_tail(self) -> str:
        try:
            self.log.flush()
            return self.log_path.read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self, *, kill: bool = False) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            if kill:
                self.proc.kill()
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        tail = self.stderr_tail().strip()
        if tail:
            logger.info("archive worker %s: %s", self.pid, tail[-2000:])
        self.log.close()


class WorkerPool:
    """Up to `size` render workers fed from the calling thread (so PR_SET_PDEATHSIG ties them to a thread that
    lives as long as the build). A worker is replaced after MAX_TASKS chunks or when its RSS passes RECYCLE_MB.

    A thread samples the RSS of this process plus the live workers: `peak_tree_mb` is the build's real peak."""

    def __init__(self, workdir: Path, size: int = WORKERS) -> None:
        self.workdir, self.size = workdir, max(1, size)
        self.idle: list[_Worker] = []
        self.busy: list[_Worker] = []
        self.started = 0
        self.peak_worker_mb = 0.0
        self.peak_tree_mb = 0.0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            pids = [w.pid for w in [*self.idle, *self.busy]]
            total = rss_mb() + sum(rss_mb(pid) for pid in pids)
            self.peak_tree_mb = max(self.peak_tree_mb, total)

    def _worker(self) -> _Worker:
        if self.idle:
            return self.idle.pop()
        self.started += 1
        return _Worker(self.workdir, self.started)

    def run(self, jobs: Iterable[tuple[Any, dict]], on_result: Callable[[Any, dict], None] | None = None) -> dict:
        """Render every (key, spec); returns key → report. The first failure stops the pool and raises."""
        queue = deque(jobs)
        results: dict[Any, dict] = {}
        try:
            while queue or self.busy:
                while queue and len(self.busy) < self.size:
                    key, spec = queue.popleft()
                    worker = self._worker()
                    worker.send(key, spec)
                    self.busy.append(worker)
                streams = {w.proc.stdout.fileno(): w for w in self.busy}
                ready, _, _ = select.select(list(streams), [], [], 1.0)
                for fd in ready:
                    worker = streams[fd]
                    try:
                        report = worker.read()
                    except (ArchiveBuildError, ValueError):
                        logger.error("archive worker %s failed: %s", worker.pid, worker.stderr_tail())
                        raise
                    if report is None:
                        continue
                    self.busy.remove(worker)
                    if "error" in report:
                        logger.error("archive chunk failed: %s\n%s", report["error"], worker.stderr_tail())
                        worker.close(kill=True)
                        raise ArchiveBuildError("档案排版失败：" + report["error"][:200])
                    worker.tasks += 1
                    worker.peak_mb = max(worker.peak_mb, float(report.get("peak_rss_mb", 0)))
                    self.peak_worker_mb = max(self.peak_worker_mb, worker.peak_mb)
                    if worker.tasks >= MAX_TASKS or float(report.get("rss_mb", 0)) > RECYCLE_MB:
                        worker.close()
                    else:
                        self.idle.append(worker)
                    results[worker.key] = report
                    if on_result is not None:
                        on_result(worker.key, report)
                now = time.monotonic()
                for worker in self.busy:
                    if now > worker.deadline:
                        raise ArchiveBuildError("档案排版超时")
        except BaseException:
            self.close(kill=True)
            raise
        return results

    def close(self, *, kill: bool = False) -> None:
        for worker in [*self.busy, *self.idle]:
            worker.close(kill=kill)
        self.busy, self.idle = [], []
        self._stop.set()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(kill=exc[0] is not None)


# ------------------------------------------------------------------------------
# Chunks
# ------------------------------------------------------------------------------
@dataclass
class ChunkChapter:
    index: int
    label: str
    chapter: PlacedChapter
    show_title: bool
    sections: list[PlacedSection]


@dataclass
class Chunk:
    part: str  # "body" or "appendices"
    chapters: list[ChunkChapter] = field(default_factory=list)
    dossiers: list[Dossier] = field(default_factory=list)


def chapter_label(index: int, chapter: PlacedChapter) -> str:
    return f"第{_cn_number(index)}章　{chapter.title}"


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def plan_chunks(
    content: ArchiveContent,
    *,
    chunk_dossiers: int = CHUNK_DOSSIERS,
    chunk_picture_bytes: int = CHUNK_PICTURE_BYTES,
) -> list[Chunk]:
    """Cut the body into chunks: a chapter per chunk, a big chapter in pieces of at most chunk_dossiers dossiers and
    (from the second dossier of a piece on) at most chunk_picture_bytes of downscaled pictures."""
    chunks: list[Chunk] = []
    for index, chapter in enumerate(content.chapters, start=1):
        label = chapter_label(index, chapter)
        pieces: list[list[PlacedSection]] = [[]]
        count = weight = 0
        for section in chapter.sections:
            current = PlacedSection(section.title, [])
            pieces[-1].append(current)
            for entry in section.entries:
                size = _picture_bytes(entry.dossier) if entry.primary else 0
                if entry.primary and count and (count == chunk_dossiers or weight + size > chunk_picture_bytes):
                    current = PlacedSection(section.title, [])
                    pieces.append([current])
                    count = weight = 0
                current.entries.append(entry)
                count += entry.primary
                weight += size
        for n, piece in enumerate(pieces):
            sections = [s for s in piece if s.entries]
            dossiers = [e.dossier for s in sections for e in s.entries if e.primary]
            chunks.append(Chunk("body", [ChunkChapter(index, label, chapter, n == 0, sections)], dossiers))
    if content.appendices:
        chunks.append(Chunk("appendices"))
    return chunks


def _static_roots() -> list[str]:
    roots = [str(p) for p in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(str(settings.STATIC_ROOT))
    return roots


def css_url() -> str:
    return (Path(settings.BASE_DIR) / "static" / "css" / "archive-print.css").as_uri()


def _spec(html: str, out: Path, *, files: Iterable[str] = (), prepare: list[list[str]] | None = None) -> dict:
    html_path = out.with_suffix(".html")
    html_path.write_text(html, encoding="utf-8")
    return {
        "html": str(html_path),
        "out": str(out),
        "roots": _static_roots(),
        "files": list(files),
        "prepare": prepare or [],
        "base_url": Path(settings.BASE_DIR).joinpath("static").as_uri() + "/",
    }


def run_worker(html: str, out: Path, *, files: list[str], workdir: Path) -> dict[str, Any]:
    """Render one HTML document to `out` in a fresh worker process; returns the worker's JSON report."""
    with WorkerPool(workdir, size=1) as pool:
        report = pool.run([(0, _spec(html, out, files=files))])[0]
    out.with_suffix(".html").unlink(missing_ok=True)
    return report


def render_html_to_pdf(html: str, target: str | Path, *, images: Iterable[str | Path] = ()) -> int:
    """Render one HTML string to a PDF file the way the archive does, for other apps (e.g. 月度通报 as PDF).

    Laid out in a child process (its memory goes back when it exits) by WeasyPrint with the archive's url_fetcher:
    only the project's static files and the files named in `images` can be read, nothing from the network. Put user
    text in with autoescaping templates. Link stylesheets as `css_url()`-style file URLs of static files. Returns
    the number of pages; raises ArchiveBuildError when the worker fails."""
    target = Path(target)
    work = make_workdir()
    try:
        out = work / "document.pdf"
        report = run_worker(html, out, files=[str(Path(p)) for p in images], workdir=work)
        tmp = target.with_name(target.name + ".part")
        shutil.move(str(out), tmp)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return int(report["pages"])


def _toc(content: ArchiveContent, chapter_pages: dict[int, int], dossier_pages: dict[int, int], appendix_pages):
    toc = []
    for index, chapter in enumerate(content.chapters, start=1):
        page = chapter_pages.get(index, PLACEHOLDER_PAGE)
        sections = []
        for section in chapter.sections:
            sections.append(
                {
                    "label": section.title,
                    "page": page,
                    "anchor": f"c{index}",
                    "dossiers": [
                        {
                            "number": e.dossier.number,
                            "title": e.dossier.title,
                            "page": dossier_pages.get(e.dossier.pk, PLACEHOLDER_PAGE),
                            "anchor": e.dossier.anchor,
                        }
                        for e in section.entries
                        if e.primary
                    ],
                }
            )
        toc.append({"label": chapter_label(index, chapter), "page": page, "anchor": f"c{index}", "sections": sections})
    for i, appendix in enumerate(content.appendices, start=1):
        page = appendix_pages.get(i, PLACEHOLDER_PAGE)
        toc.append({"label": f"附录{i}　{appendix.title}", "page": page, "anchor": f"a{i}", "sections": []})
    return toc


def _front_html(content: ArchiveContent, toc: list) -> str:
    return render_to_string(
        "ledger/archive/document.html",
        {
            "part": "front",
            "content": content,
            "toc": toc,
            "dossier_count": len(content.dossiers),
            "css_url": css_url(),
        },
    )


def _footer_html(first: int, count: int, total: int) -> str:
    # Only integers are interpolated into this CSS.
    font = '"Noto Sans CJK SC", sans-serif'
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        f"@page {{ size: A4 portrait; margin: 22mm 18mm 20mm 18mm; font-family: {font};"
        f' @bottom-center {{ content: "第 " counter(page) " 页 / 共 {int(total)} 页"; font-size: 9pt; }} }}'
        f"@page :first {{ counter-reset: page {int(first)}; }}"
        "div.p { break-before: page; } div.p:first-child { break-before: auto; }"
        "</style></head><body>" + '<div class="p"></div>' * int(count) + "</body></html>"
    )


# ------------------------------------------------------------------------------
# The streaming merge
# ------------------------------------------------------------------------------
class StreamingPdf:
    """Writes a PDF object by object: pages copied from chunk PDFs are written as soon as they are read.

    The page objects' numbers are reserved up front (`reserve_pages`), so a page can link to a later one."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.offsets: dict[int, int] = {}
        self.next_id = 3  # 1: catalog, 2: page tree
        self.page_ids: list[int] = []
        self.written = 0
        self.outlines: IndirectObject | None = None
        fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.q_open = self.add(_stream(b"q\n"))
        self.q_close_footer = self.add(_stream(b"\nQ\nq /WmFooter Do Q\n"))

    def reserve_pages(self, count: int) -> None:
        self.page_ids = [self.alloc() for _ in range(count)]

    def page_ref(self, page_no: int) -> IndirectObject:
        """The reference of page `page_no` (1-based)."""
        return IndirectObject(self.page_ids[page_no - 1], 0, None)

    def alloc(self) -> int:
        num = self.next_id
        self.next_id += 1
        return num

    def write(self, num: int, obj: PdfObject) -> None:
        self.offsets[num] = self.fh.tell()
        self.fh.write(f"{num} 0 obj\n".encode())
        obj.write_to_stream(self.fh)
        self.fh.write(b"\nendobj\n")

    def add(self, obj: PdfObject) -> IndirectObject:
        num = self.alloc()
        self.write(num, obj)
        return IndirectObject(num, 0, None)

    def finish(self, title: str) -> None:
        if self.written != len(self.page_ids):
            raise ArchiveBuildError(f"合并后页数 {self.written} 与排版页数 {len(self.page_ids)} 不符")
        info = self.add(
            DictionaryObject(
                {NameObject("/Title"): TextStringObject(title), NameObject("/Producer"): TextStringObject("WeasyPrint")}
            )
        )
        kids = ArrayObject(IndirectObject(n, 0, None) for n in self.page_ids)
        self.write(
            2,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Pages"),
                    NameObject("/Kids"): kids,
                    NameObject("/Count"): NumberObject(len(self.page_ids)),
                }
            ),
        )
        catalog = DictionaryObject(
            {NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): IndirectObject(2, 0, None)}
        )
        if self.outlines is not None:
            catalog[NameObject("/Outlines")] = self.outlines
            catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
        self.write(1, catalog)
        xref = self.fh.tell()
        size = self.next_id
        self.fh.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
        for num in range(1, size):
            self.fh.write(f"{self.offsets[num]:010d} 00000 n \n".encode())
        trailer = f"trailer\n<< /Size {size} /Root 1 0 R /Info {info.idnum} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        self.fh.write(trailer.encode())


def _stream(data: bytes, entries: dict | None = None) -> DecodedStreamObject:
    s = DecodedStreamObject()
    s.set_data(data)
    for k, v in (entries or {}).items():
        s[NameObject(k)] = v
    return s


class Copier:
    """Copies objects of one source PDF into a StreamingPdf, each indirect object once, references renumbered."""

    def __init__(self, out: StreamingPdf, reader: PdfReader) -> None:
        self.out, self.reader = out, reader
        self.mapping: dict[tuple[int, int], int] = {}
        self.pending: list[tuple[int, IndirectObject]] = []

    def ref(self, obj: IndirectObject) -> IndirectObject:
        key = (obj.idnum, obj.generation)
        num = self.mapping.get(key)
        if num is None:
            num = self.mapping[key] = self.out.alloc()
            self.pending.append((num, obj))
        return IndirectObject(num, 0, None)

    def copy(self, obj: Any, *, skip: frozenset[str] = frozenset()) -> Any:
        if isinstance(obj, IndirectObject):
            return self.ref(obj)
        if isinstance(obj, StreamObject):
            new = obj.__class__()
            new._data = obj._data
            for k, v in obj.items():
                if k != "/Length":
                    new[NameObject(k)] = self.copy(v)
            return new
        if isinstance(obj, DictionaryObject):
            return DictionaryObject({NameObject(k): self.copy(v) for k, v in obj.items() if k not in skip})
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.copy(v) for v in obj)
        return obj

    def flush(self) -> None:
        while self.pending:
            num, src = self.pending.pop()
            self.out.write(num, self.copy(src.get_object()))


def _footer_form(copier: Copier, page) -> IndirectObject:
    box = page.mediabox
    form = _stream(
        page.get_contents().get_data() if page.get_contents() is not None else b"",
        {
            "/Type": NameObject("/XObject"),
            "/Subtype": NameObject("/Form"),
            "/BBox": ArrayObject([NumberObject(int(v)) if float(v).is_integer() else v for v in box]),
            "/Resources": copier.copy(page.get("/Resources", DictionaryObject())),
        },
    )
    ref = copier.out.add(form)
    copier.flush()
    return ref


@dataclass
class Link:
    """A 目录 line: a rectangle on a page (CSS px from the top left, as WeasyPrint reports) → a destination."""

    x: float
    y: float
    width: float
    height: float
    page: int  # 1-based, in the merged document
    top: float  # the target's y in CSS px from the page's top


def _link_annotation(out: StreamingPdf, link: Link, height: float) -> DictionaryObject:
    def f(v: float) -> FloatObject:
        return FloatObject(round(v, 2))

    x0, x1 = link.x * CSS_PX, (link.x + link.width) * CSS_PX
    y0, y1 = height - (link.y + link.height) * CSS_PX, height - link.y * CSS_PX
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([f(x0), f(y0), f(x1), f(y1)]),
            NameObject("/Border"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0)]),
            NameObject("/Dest"): ArrayObject(
                [out.page_ref(link.page), NameObject("/XYZ"), NullObject(), f(height - link.top * CSS_PX), NullObject()]
            ),
        }
    )


def _copy_page(copier: Copier, page, footer: IndirectObject | None, links: list[Link] = ()) -> None:
    out = copier.out
    new = copier.copy(page, skip=frozenset({"/Parent", "/Contents", "/Resources", "/MediaBox", "/Annots"}))
    new[NameObject("/Parent")] = IndirectObject(2, 0, None)
    new[NameObject("/MediaBox")] = ArrayObject(page.mediabox)
    resources = page.get("/Resources")
    resources = copier.copy(resources.get_object()) if resources is not None else DictionaryObject()
    contents = page.get("/Contents")
    parts: list[Any] = []
    if contents is not None:
        target = contents.get_object()
        parts = [copier.copy(c) for c in target] if isinstance(target, ArrayObject) else [copier.copy(contents)]
    if footer is not None:
        xobjects = resources.get("/XObject")
        xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
        xobjects[NameObject("/WmFooter")] = footer
        resources[NameObject("/XObject")] = xobjects
        parts = [out.q_open, *parts, out.q_close_footer]
    new[NameObject("/Resources")] = resources
    new[NameObject("/Contents")] = ArrayObject(parts)
    annots = page.get("/Annots")
    annots = list(copier.copy(annots.get_object())) if annots is not None else []
    height = float(page.mediabox.top) - float(page.mediabox.bottom)
    annots += [out.add(_link_annotation(out, link, height)) for link in links]
    if annots:
        new[NameObject("/Annots")] = ArrayObject(annots)
    out.write(out.page_ids[out.written], new)
    out.written += 1
    copier.flush()


@dataclass
class OutlineItem:
    title: str
    page: int  # 1-based
    top: float
    children: list[OutlineItem] = field(default_factory=list)


def _write_outline(out: StreamingPdf, items: list[OutlineItem], height: float) -> None:
    """The PDF's bookmarks (chapters → dossiers), written after the pages so every destination exists."""
    if not items:
        return
    root = out.alloc()

    def level(parent: int, entries: list[OutlineItem]) -> tuple[int, int, int]:
        nums = [out.alloc() for _ in entries]
        count = 0
        for i, (num, item) in enumerate(zip(nums, entries, strict=True)):
            node = DictionaryObject(
                {
                    NameObject("/Title"): TextStringObject(item.title),
                    NameObject("/Parent"): IndirectObject(parent, 0, None),
                    NameObject("/Dest"): ArrayObject(
                        [
                            out.page_ref(item.page),
                            NameObject("/XYZ"),
                            NullObject(),
                            FloatObject(round(height - item.top * CSS_PX, 2)),
                            NullObject(),
                        ]
                    ),
                }
            )
            if i:
                node[NameObject("/Prev")] = IndirectObject(nums[i - 1], 0, None)
            if i + 1 < len(nums):
                node[NameObject("/Next")] = IndirectObject(nums[i + 1], 0, None)
            if item.children:
                first, last, inner = level(num, item.children)
                node[NameObject("/First")] = IndirectObject(first, 0, None)
                node[NameObject("/Last")] = IndirectObject(last, 0, None)
                node[NameObject("/Count")] = NumberObject(-inner)  # closed: chapters shown, dossiers on demand
            out.write(num, node)
            count += 1
        return nums[0], nums[-1], count

    first, last, count = level(root, items)
    out.write(
        root,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Outlines"),
                NameObject("/First"): IndirectObject(first, 0, None),
                NameObject("/Last"): IndirectObject(last, 0, None),
                NameObject("/Count"): NumberObject(count),
            }
        ),
    )
    out.outlines = IndirectObject(root, 0, None)


def merge(
    parts: list[Path],
    footers: list[Path],
    target: IO[bytes],
    *,
    title: str,
    skip_footer: int = 1,
    total: int | None = None,
    links: dict[int, list[Link]] | None = None,
    outline: list[OutlineItem] | None = None,
) -> int:
    """Stream `parts` into `target`, stamping the n-th footer page on every page after the first `skip_footer`;
    `links`: page number (1-based) → link annotations to add; `outline`: the bookmarks."""
    if total is None:
        total = sum(len(PdfReader(str(p)).pages) for p in parts)
    out = StreamingPdf(target)
    out.reserve_pages(total)
    footer_pages = _footer_pages(footers, out)
    page_no = 0
    height = 841.89
    for part in parts:
        reader = PdfReader(str(part))
        copier = Copier(out, reader)
        for page in reader.pages:
            if page_no >= total:
                raise ArchiveBuildError(f"合并后页数多于排版页数 {total}")
            footer = next(footer_pages) if page_no >= skip_footer else None
            page_no += 1
            height = float(page.mediabox.top) - float(page.mediabox.bottom)
            _copy_page(copier, page, footer, (links or {}).get(page_no, []))
        del copier, reader
    _write_outline(out, outline or [], height)
    out.finish(title)
    return page_no


def _footer_pages(footers: list[Path], out: StreamingPdf):
    for path in footers:
        reader = PdfReader(str(path))
        copier = Copier(out, reader)
        for page in reader.pages:
            yield _footer_form(copier, page)


# ------------------------------------------------------------------------------
# The whole build
# ------------------------------------------------------------------------------
def _workers() -> int:
    return max(1, int(getattr(settings, "ARCHIVE_PDF_WORKERS", 0) or min(WORKERS, os.cpu_count() or 1)))


def build_pdf(
    content: ArchiveContent,
    target: str | Path,
    *,
    chunk_dossiers: int = CHUNK_DOSSIERS,
    workers: int | None = None,
    on_progress: Callable[[int, int, int, float], None] | None = None,
) -> BuildStats:
    """Render the archive of `content` to `target`.

    After each chunk: on_progress(dossiers_done, dossiers_total, pages_laid_out, peak_rss_mb_of_chunks_so_far)."""
    started = time.monotonic()
    stats = BuildStats(dossiers=len(content.dossiers), photos=content.photo_count, workers=workers or _workers())
    work = make_workdir()
    pool = WorkerPool(work, size=stats.workers)
    try:
        chunks = plan_chunks(content, chunk_dossiers=chunk_dossiers)
        stats.chunks = len(chunks)
        front = work / "front.pdf"
        # Pass 1, all at once on the pool: the front matter with placeholder numbers of the widest kind (only its
        # length matters) and every chunk of the body.
        jobs: list[tuple[Any, dict]] = [("front", _spec(_front_html(content, _toc(content, {}, {}, {})), front))]
        parts: list[Path] = []
        for k, chunk in enumerate(chunks):
            out = work / f"part-{k:04d}.pdf"
            pictures = _prepare_pictures(chunk.dossiers, work)
            html = render_to_string(
                "ledger/archive/document.html",
                {"part": chunk.part, "content": content, "chapters": chunk.chapters, "css_url": css_url()},
            )
            jobs.append((k, _spec(html, out, files=pictures.files, prepare=pictures.prepare)))
            parts.append(out)
        stats.timings["plan"] = time.monotonic() - started
        progress = {"dossiers": 0, "pages": 0}

        def chunk_done(key: Any, report: dict) -> None:
            _track(stats, report)
            if key == "front":
                return
            progress["dossiers"] += len(chunks[key].dossiers)
            progress["pages"] += report["pages"]
            if on_progress is not None:
                on_progress(progress["dossiers"], stats.dossiers, progress["pages"], pool.peak_worker_mb)

        reports = pool.run(jobs, chunk_done)
        stats.timings["chunks"] = time.monotonic() - started - stats.timings["plan"]
        front_pages = reports["front"]["pages"]
        page = front_pages + 1
        chapter_pages: dict[int, int] = {}
        appendix_pages: dict[int, int] = {}
        anchors: dict[str, tuple[int, float]] = {}
        for k in range(len(chunks)):
            report = reports[k]
            for name, (index, _x, y) in report["anchors"].items():
                anchors.setdefault(name, (page + index, y))
                if name.startswith("d"):
                    stats.dossier_pages[int(name[1:])] = page + index
                elif name.startswith("c"):
                    chapter_pages.setdefault(int(name[1:]), page + index)
                elif name.startswith("a"):
                    appendix_pages[int(name[1:])] = page + index
            page += report["pages"]
        total = page - 1

        # Pass 2, in parallel: the 目录 with the true page numbers, and the footers "第 N 页 / 共 M 页".
        toc = _toc(content, chapter_pages, stats.dossier_pages, appendix_pages)
        jobs = [("front", _spec(_front_html(content, toc), front))]
        footers = []
        for n, start in enumerate(range(2, total + 1, FOOTER_PAGES)):
            count = min(FOOTER_PAGES, total + 1 - start)
            out = work / f"footer-{n:04d}.pdf"
            jobs.append((n, _spec(_footer_html(start, count, total), out)))
            footers.append(out)
        second = pool.run(jobs, lambda _k, r: _track(stats, r))
        stats.timings["front_and_footers"] = time.monotonic() - started - sum(stats.timings.values())
        if second["front"]["pages"] != front_pages:
            raise ArchiveBuildError("目录页数在两次排版间发生变化")
        pool.close()
        stats.worker_processes = pool.started

        links: dict[int, list[Link]] = {}
        for index, name, x, y, w, h in second["front"].get("links", []):
            if name in anchors:
                dest_page, top = anchors[name]
                links.setdefault(index + 1, []).append(Link(x, y, w, h, dest_page, top))
        merge_started = time.monotonic()
        target = Path(target)
        tmp = target.with_name(target.name + ".part")
        try:
            with open(tmp, "wb") as fh:
                stats.pages = merge(
                    [front, *parts],
                    footers,
                    fh,
                    title=f"{content.unit_name}{content.year}年度创建台账",
                    total=total,
                    links=links,
                    outline=_outline(content, toc, anchors),
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        stats.sha256 = _sha256(target)
        stats.timings["merge"] = time.monotonic() - merge_started
    finally:
        pool.close(kill=True)
        shutil.rmtree(work, ignore_errors=True)
    stats.peak_worker_mb = pool.peak_worker_mb
    stats.peak_parent_mb = peak_rss_mb()
    # The build's peak: this process and its workers together, sampled; never below what any one of them reached.
    stats.peak_rss_mb = max(pool.peak_tree_mb, stats.peak_worker_mb, stats.peak_parent_mb)
    stats.seconds = time.monotonic() - started
    return stats


def _outline(content: ArchiveContent, toc: list, anchors: dict[str, tuple[int, float]]) -> list[OutlineItem]:
    items = []
    for entry in toc:
        if entry["anchor"] not in anchors:
            continue
        page, top = anchors[entry["anchor"]]
        item = OutlineItem(entry["label"], page, top)
        for section in entry["sections"]:
            for d in section["dossiers"]:
                if d["anchor"] in anchors:
                    dpage, dtop = anchors[d["anchor"]]
                    item.children.append(OutlineItem(f"{d['number']} {d['title']}", dpage, dtop))
        items.append(item)
    return items


def _track(stats: BuildStats, report: dict[str, Any]) -> None:
    stats.refused.extend(report.get("refused", []))
    stats.opened.update(report.get("opened", []))
    stats.served.update(report.get("served", []))
    for k, v in report.get("seconds", {}).items():
        stats.worker_seconds[k] = stats.worker_seconds.get(k, 0.0) + v


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
