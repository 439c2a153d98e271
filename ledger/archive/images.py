"""The archive's pictures, made once per SHA-256 and kept in the cache: downscaled photos and PDF first pages.

No Django here: the render workers call these on the chunk they are about to lay out (so two workers downscale in
parallel), and render.py calls them in-process for storages without local paths.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

MAX_SIDE = 1600
JPEG_QUALITY = 82
PDF_PREVIEW_MAX_BYTES = 8 * 1024 * 1024  # "when small": larger PDF originals are only listed
PDF_PREVIEW_SIDE = 1000
PDF_PREVIEW_TIMEOUT = 20
PDF_PREVIEW_MEMORY = 512 * 1024 * 1024
PDFTOPPM = ["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-jpeg"]


def downscale_stream(fh: IO[bytes], target: str | Path, *, max_side: int = MAX_SIDE) -> bool:
    """Write a ≤ max_side JPEG of the image in `fh` to `target` (atomically); False when it cannot be read."""
    target = Path(target)
    try:
        with Image.open(fh) as im:
            w, h = im.size
            scale = max_side / max(w, h, 1)
            if scale < 1:  # JPEG: decode at 1/2..1/8 scale straight away, never below the target size
                im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
            im = ImageOps.exif_transpose(im)
            im.thumbnail((max_side, max_side))
            if im.mode not in {"RGB", "L"}:
                im = im.convert("RGB")
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        logger.warning("archive: image for %s could not be downscaled", target.name, exc_info=True)
        return False
    return True


def downscale_file(source: str | Path, target: str | Path, *, max_side: int = MAX_SIDE) -> bool:
    if Path(target).exists():
        return True
    try:
        with open(source, "rb") as fh:
            return downscale_stream(fh, target, max_side=max_side)
    except OSError:
        logger.warning("archive: image %s could not be opened", source, exc_info=True)
        return False


def _limit_memory() -> None:  # pragma: no cover - runs in the pdftoppm child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (PDF_PREVIEW_MEMORY, PDF_PREVIEW_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (PDF_PREVIEW_TIMEOUT, PDF_PREVIEW_TIMEOUT + 1))


def pdf_first_page(source: str | Path, target: str | Path, *, side: int = PDF_PREVIEW_SIDE) -> bool:
    """The first page of a PDF original as a JPEG (≤ side px), drawn by poppler's pdftoppm in a bounded child:
    only PDFs up to PDF_PREVIEW_MAX_BYTES, a time limit, an address-space limit, no other page."""
    target = Path(target)
    if target.exists():
        return True
    try:
        if os.path.getsize(source) > PDF_PREVIEW_MAX_BYTES:
            return False
    except OSError:
        return False
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pdfpage-") as tmp:
        prefix = Path(tmp) / "p"
        try:
            proc = subprocess.run(
                # absolute paths of our own storage (never an option)
                [*PDFTOPPM, "-scale-to", str(side), os.path.abspath(source), str(prefix)],
                capture_output=True,
                timeout=PDF_PREVIEW_TIMEOUT,
                preexec_fn=_limit_memory,
                check=False,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
        except (OSError, subprocess.TimeoutExpired):
            logger.warning("archive: pdftoppm failed or timed out on %s", source, exc_info=True)
            return False
        made = prefix.with_suffix(".jpg")
        if proc.returncode != 0 or not made.exists():
            logger.warning("archive: pdftoppm could not draw %s: %s", source, proc.stderr[-500:])
            return False
        # Re-encode through Pillow: what reaches WeasyPrint is a plain JPEG we wrote ourselves.
        with open(made, "rb") as fh:
            return downscale_stream(fh, target, max_side=side)


def prepare(items: list[list[str]]) -> list[str]:
    """[[kind, source, target], ...] (kind "photo" or "pdf"): make each missing target; returns the targets made
    or found."""
    ready = []
    for kind, source, target in items:
        ok = pdf_first_page(source, target) if kind == "pdf" else downscale_file(source, target)
        if ok:
            ready.append(target)
    return ready
