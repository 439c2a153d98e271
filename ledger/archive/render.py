"""Rendering the archive in bounded memory: chunks in child processes, the 目录 in a second pass, a streaming merge.

WeasyPrint lays a whole document out in memory, so one render of a year cannot stay small. Here:

1. the body is cut into chunks (one chapter, or at most CHUNK_DOSSIERS dossiers); each is rendered by
   `python -m ledger.archive.worker` in its own process, which reports its real page count and on which page each
   dossier starts, then exits;
2. the front matter (cover, 说明, 目录) is rendered twice: with placeholder numbers to learn its length, then with
   the true page numbers;
3. the footer "第 N 页 / 共 M 页" needs M, known only now: small footer-only documents (numbers via
   `@page :first { counter-reset: page N }`) are rendered and stamped onto each page as a form XObject while
   4. pypdf reads the chunk PDFs one at a time and their objects are streamed into the output, so the merge holds
   one chunk, never the year.

Photos are downscaled (Pillow draft + thumbnail, ≤ MAX_SIDE px) into MEDIA_ROOT/archive-cache/<sha256>-<side>.jpg
before a chunk is rendered; a rebuild finds them there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from .content import ArchiveContent, Dossier, PlacedChapter, PlacedSection
from .memory import peak_rss_mb

logger = logging.getLogger(__name__)

CHUNK_DOSSIERS = 50
FOOTER_PAGES = 400
MAX_SIDE = 1600
JPEG_QUALITY = 82
PLACEHOLDER_PAGE = 99999
WORKER_TIMEOUT = 1800


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

    def as_json(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "dossiers": self.dossiers,
            "photos": self.photos,
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "sha256": self.sha256,
        }


# ------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------
def cache_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "archive-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def downscaled(sha256: str, storage_name: str, *, max_side: int = MAX_SIDE) -> Path | None:
    """The cached ≤ max_side JPEG of a stored image (made once per SHA-256); None when it cannot be read."""
    target = cache_dir() / f"{sha256}-{max_side}.jpg"
    if target.exists():
        return target
    try:
        with default_storage.open(storage_name, "rb") as fh, Image.open(fh) as im:
            w, h = im.size
            scale = max_side / max(w, h, 1)
            if scale < 1:  # JPEG: decode at 1/2..1/8 scale straight away, never below the target size
                im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
            im = ImageOps.exif_transpose(im)
            im.thumbnail((max_side, max_side))
            if im.mode not in {"RGB", "L"}:
                im = im.convert("RGB")
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            os.replace(tmp, target)
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("archive: image %s could not be downscaled", storage_name, exc_info=True)
        return None
    return target


def _prepare_pictures(dossiers: list[Dossier]) -> list[str]:
    files = []
    for d in dossiers:
        pictures = list(d.photos) + [r.screenshot for r in d.reports if r.screenshot is not None]
        for p in pictures:
            path = downscaled(p.sha256, p.storage_name)
            p.path = str(path) if path else ""
            p.url = path.as_uri() if path else ""  # type: ignore[attr-defined]
            if path:
                files.append(str(path))
    return files


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


def plan_chunks(content: ArchiveContent, *, chunk_dossiers: int = CHUNK_DOSSIERS) -> list[Chunk]:
    """Cut the body into chunks: a chapter per chunk, a big chapter in pieces of at most chunk_dossiers."""
    chunks: list[Chunk] = []
    for index, chapter in enumerate(content.chapters, start=1):
        label = chapter_label(index, chapter)
        pieces: list[list[PlacedSection]] = [[]]
        count = 0
        for section in chapter.sections:
            current = PlacedSection(section.title, [])
            pieces[-1].append(current)
            for entry in section.entries:
                if entry.primary and count == chunk_dossiers:
                    current = PlacedSection(section.title, [])
                    pieces.append([current])
                    count = 0
                current.entries.append(entry)
                count += entry.primary
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


def run_worker(html: str, out: Path, *, files: list[str], workdir: Path) -> dict[str, Any]:
    """Render one HTML document to `out` in a fresh process; returns the worker's JSON report."""
    html_path = out.with_suffix(".html")
    html_path.write_text(html, encoding="utf-8")
    spec_path = out.with_suffix(".json")
    spec = {
        "html": str(html_path),
        "out": str(out),
        "roots": _static_roots(),
        "files": files,
        "base_url": Path(settings.BASE_DIR).joinpath("static").as_uri() + "/",
    }
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    proc = subprocess.run(
        [sys.executable, "-m", "ledger.archive.worker", str(spec_path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    html_path.unlink(missing_ok=True)
    spec_path.unlink(missing_ok=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        logger.error("archive worker failed (%s): %s", proc.returncode, proc.stderr[-4000:])
        raise ArchiveBuildError(f"档案排版进程异常退出（代码 {proc.returncode}）")
    if proc.stderr.strip():
        logger.info("archive worker: %s", proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


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
                    "dossiers": [
                        {
                            "number": e.dossier.number,
                            "title": e.dossier.title,
                            "page": dossier_pages.get(e.dossier.pk, PLACEHOLDER_PAGE),
                        }
                        for e in section.entries
                        if e.primary
                    ],
                }
            )
        toc.append({"label": chapter_label(index, chapter), "page": page, "sections": sections})
    for i, appendix in enumerate(content.appendices, start=1):
        page = appendix_pages.get(i, PLACEHOLDER_PAGE)
        toc.append({"label": f"附录{i}　{appendix.title}", "page": page, "sections": []})
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
    """Writes a PDF object by object: pages copied from chunk PDFs are written as soon as they are read."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.offsets: dict[int, int] = {}
        self.next_id = 3  # 1: catalog, 2: page tree
        self.page_ids: list[int] = []
        fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.q_open = self.add(_stream(b"q\n"))
        self.q_close_footer = self.add(_stream(b"\nQ\nq /WmFooter Do Q\n"))
        self.q_close = self.add(_stream(b"\nQ\n"))

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
        self.write(
            1,
            DictionaryObject(
                {NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): IndirectObject(2, 0, None)}
            ),
        )
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


def _copy_page(copier: Copier, page, footer: IndirectObject | None) -> None:
    out = copier.out
    new = copier.copy(page, skip=frozenset({"/Parent", "/Contents", "/Resources", "/MediaBox"}))
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
    num = out.alloc()
    out.write(num, new)
    out.page_ids.append(num)
    copier.flush()


def merge(parts: list[Path], footers: list[Path], target: IO[bytes], *, title: str, skip_footer: int = 1) -> int:
    """Stream `parts` into `target`, stamping the n-th footer page on every page after the first `skip_footer`."""
    out = StreamingPdf(target)
    footer_pages = _footer_pages(footers, out)
    page_no = 0
    for part in parts:
        reader = PdfReader(str(part))
        copier = Copier(out, reader)
        for page in reader.pages:
            footer = next(footer_pages) if page_no >= skip_footer else None
            _copy_page(copier, page, footer)
            page_no += 1
        del copier, reader
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
def build_pdf(
    content: ArchiveContent,
    target: str | Path,
    *,
    chunk_dossiers: int = CHUNK_DOSSIERS,
    on_progress: Callable[[int, int, int, float], None] | None = None,
) -> BuildStats:
    """Render the archive of `content` to `target`.

    After each chunk: on_progress(dossiers_done, dossiers_total, pages_laid_out, peak_rss_mb_of_chunks_so_far)."""
    started = time.monotonic()
    stats = BuildStats(dossiers=len(content.dossiers), photos=content.photo_count)
    work = Path(tempfile.mkdtemp(prefix="wenming-archive-"))
    try:
        chunks = plan_chunks(content, chunk_dossiers=chunk_dossiers)
        stats.chunks = len(chunks)
        # Front matter, first pass: only its length matters (numbers are placeholders of the widest kind).
        front = work / "front.pdf"
        first = run_worker(_front_html(content, _toc(content, {}, {}, {})), front, files=[], workdir=work)
        _track(stats, first)
        front_pages = first["pages"]

        parts: list[Path] = []
        body_start = front_pages + 1
        page = body_start
        chapter_pages: dict[int, int] = {}
        appendix_pages: dict[int, int] = {}
        done = 0
        for k, chunk in enumerate(chunks):
            out = work / f"part-{k:04d}.pdf"
            files = _prepare_pictures(chunk.dossiers)
            html = render_to_string(
                "ledger/archive/document.html",
                {"part": chunk.part, "content": content, "chapters": chunk.chapters, "css_url": css_url()},
            )
            report = run_worker(html, out, files=files, workdir=work)
            _track(stats, report)
            for name, index in report["anchors"].items():
                if name.startswith("d"):
                    stats.dossier_pages[int(name[1:])] = page + index
                elif name.startswith("c"):
                    chapter_pages.setdefault(int(name[1:]), page + index)
                elif name.startswith("a"):
                    appendix_pages[int(name[1:])] = page + index
            page += report["pages"]
            parts.append(out)
            done += len(chunk.dossiers)
            if on_progress is not None:
                on_progress(done, stats.dossiers, page - 1, stats.peak_rss_mb)

        # Front matter, second pass: the 目录 with the true page numbers.
        second = run_worker(
            _front_html(content, _toc(content, chapter_pages, stats.dossier_pages, appendix_pages)),
            front,
            files=[],
            workdir=work,
        )
        _track(stats, second)
        if second["pages"] != front_pages:
            raise ArchiveBuildError("目录页数在两次排版间发生变化")
        total = page - 1

        footers = []
        for n, start in enumerate(range(2, total + 1, FOOTER_PAGES)):
            count = min(FOOTER_PAGES, total + 1 - start)
            out = work / f"footer-{n:04d}.pdf"
            _track(stats, run_worker(_footer_html(start, count, total), out, files=[], workdir=work))
            footers.append(out)

        target = Path(target)
        tmp = target.with_name(target.name + ".part")
        with open(tmp, "wb") as fh:
            stats.pages = merge([front, *parts], footers, fh, title=f"{content.unit_name}{content.year}年度创建台账")
        os.replace(tmp, target)
        if stats.pages != total:
            raise ArchiveBuildError(f"合并后页数 {stats.pages} 与排版页数 {total} 不符")
        stats.sha256 = _sha256(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stats.peak_rss_mb = max(stats.peak_rss_mb, peak_rss_mb())
    stats.seconds = time.monotonic() - started
    return stats


def _track(stats: BuildStats, report: dict[str, Any]) -> None:
    stats.peak_rss_mb = max(stats.peak_rss_mb, float(report.get("peak_rss_mb", 0)))
    stats.refused.extend(report.get("refused", []))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
