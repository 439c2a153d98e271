"""Rendering archive chunks in a child process: `python -m ledger.archive.worker SPEC.json` (one chunk, then exit)
or `python -m ledger.archive.worker --serve` (one JSON spec per line on stdin, one JSON report per line on stdout,
until stdin closes; the parent recycles the process when its memory grows, see render.WorkerPool).

A spec names an HTML file already written by the parent (templates rendered, user text escaped), the PDF to write,
the folders and files the fetcher may read, and the pictures to make first (downscaled photos, PDF first pages) so
two workers downscale in parallel. This module imports WeasyPrint, Pillow and the fetcher only (no Django, no
database). A report: {"pages", "anchors" (id → [page index, x, y]), "links" (internal links whose target is in
another document: [page index, target, x, y, w, h] in CSS px), "peak_rss_mb", "rss_mb", "refused", "opened"}.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from ledger.archive.fetcher import ArchiveFetcher
from ledger.archive.images import prepare
from ledger.archive.memory import peak_rss_mb, rss_mb

_FONTS: FontConfiguration | None = None
_OPENED: set[str] | None = None


def _audit(event: str, args: tuple) -> None:
    # Every file Python opens while a chunk is rendered (WeasyPrint reads images and stylesheets through Python).
    if _OPENED is None or event != "open" or not isinstance(args[0], str):
        return
    mode, flags = args[1], args[2] if len(args) > 2 else 0
    reading = not any(c in mode for c in "wax+") if isinstance(mode, str) else (flags or 0) & os.O_ACCMODE == 0
    if reading:  # what it writes is the chunk's own PDF
        _OPENED.add(os.path.realpath(args[0]))


def render_file(spec: dict) -> dict:
    global _FONTS, _OPENED
    started = time.monotonic()
    cpu = time.process_time()
    made = prepare(spec.get("prepare", []))
    prepared = time.monotonic()
    fetcher = ArchiveFetcher(spec["roots"], allowed_files=[*spec.get("files", []), *made])
    if _FONTS is None:  # fontconfig's setup is paid once per process, not once per chunk
        _FONTS = FontConfiguration()
    _OPENED = set()
    try:
        html = HTML(filename=spec["html"], base_url=spec["base_url"], url_fetcher=fetcher, encoding="utf-8")
        document = html.render(optimize_images=False, presentational_hints=False, font_config=_FONTS)
        pages = len(document.pages)
        anchors: dict[str, list] = {}
        for index, page in enumerate(document.pages):
            for name, point in page.anchors.items():
                anchors.setdefault(name, [index, round(point[0], 2), round(point[1], 2)])
        links: dict[tuple[int, int], tuple[str, list[float]]] = {}
        for index, page in enumerate(document.pages):
            kept = []
            for link in page.links:
                kind, target, (x, y, w, h), box = link
                if kind == "internal" and target not in anchors:
                    # A 目录 line pointing into another chunk: render.merge adds the link annotation. One <a> is
                    # several boxes (text, leader, number): one rectangle around them per page.
                    element = getattr(box, "element", None)
                    key = (index, id(element if element is not None else box))
                    rect = links.setdefault(key, (target, [x, y, x + w, y + h]))[1]
                    rect[:] = [min(rect[0], x), min(rect[1], y), max(rect[2], x + w), max(rect[3], y + h)]
                else:
                    kept.append(link)
            page.links[:] = kept
        laid_out = time.monotonic()
        document.write_pdf(spec["out"])
    finally:
        opened, _OPENED = _OPENED, None
    del document, html
    gc.collect()
    _trim()
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    return {
        "pages": pages,
        "anchors": anchors,
        "links": [
            [index, target, round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)]
            for (index, _element), (target, (x0, y0, x1, y1)) in links.items()
        ],
        "peak_rss_mb": peak_rss_mb(),
        "rss_mb": rss_mb(),
        "seconds": {
            "prepare": round(prepared - started, 3),
            "layout": round(laid_out - prepared, 3),
            "write": round(time.monotonic() - laid_out, 3),
            "cpu": round(time.process_time() - cpu, 3),
        },
        "refused": fetcher.refused,
        "served": fetcher.served,
        # Python's own modules (lazy imports) left out; everything else it opened is reported.
        "opened": sorted(p for p in opened if not p.startswith(prefixes)),
    }


def _trim() -> None:
    """Give freed heap back to the system, so a long-lived worker's RSS falls between chunks."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _die_with_parent() -> None:
    """PR_SET_PDEATHSIG: if the building process is SIGKILLed, its render workers go too."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def serve() -> int:
    _die_with_parent()
    sys.addaudithook(_audit)
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        spec = json.loads(line)
        try:
            result = render_file(spec)
        except Exception as exc:  # reported to the parent, which fails the build with it
            logging.getLogger(__name__).exception("archive chunk failed")
            result = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
        out.write(json.dumps(result) + "\n")
        out.flush()
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if len(argv) > 1 and argv[1] == "--serve":
        return serve()
    sys.addaudithook(_audit)
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    result = render_file(spec)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
