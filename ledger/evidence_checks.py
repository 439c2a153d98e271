"""Evidence checks on photos, as pure functions: perceptual hashes, camera model, OCR text, banner matching.

No database, no storage, no Django: bytes (or a PIL image) in, values out. The services decide what a
finding means for a dossier. OCR runs in a child process (`python -m ledger.evidence_checks`), so a
photo that takes too long is killed at the timeout and its memory goes back with the process; the OCR
package (`rapidocr-onnxruntime`, which ships its PP-OCR models in the wheel) is optional: without it
every photo's OCR status is "OCR 未启用".
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

OCR_PACKAGE = "rapidocr_onnxruntime"
PROJECT_ROOT = Path(__file__).resolve().parent.parent

OCR_OK = "ok"
OCR_DISABLED = "disabled"
OCR_TIMEOUT = "timeout"
OCR_FAILED = "failed"
_EXIT_NOT_LOADABLE = 3  # the OCR child's exit status when the package cannot be imported


# ------------------------------------------------------------------------------
# Hashes
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hashes:
    phash: str  # 64-bit, 16 hex digits
    dhash: str


HASH_DECODE_SIDE = 128  # the hashes read 32×32 and 9×8 pixels: a JPEG decoded at 1/8 scale is plenty


def open_image(data: bytes, *, max_side: int | None = None, mode: str = "RGB") -> Image.Image:
    """The photo upright (EXIF orientation applied), in `mode` ("RGB" or "L"); a JPEG is decoded at a reduced
    scale (libjpeg's DCT scaling, 1/2 to 1/8) when only `max_side` pixels are needed, and in "L" straight to
    its luma plane, so a 4000×3000 phone photo costs its entropy decoding and little else."""
    img = Image.open(io.BytesIO(data))
    if max_side and img.format == "JPEG":
        img.draft(mode, (max_side, max_side))
    img = ImageOps.exif_transpose(img)
    return img.convert(mode)


def image_hashes(img: Image.Image) -> Hashes:
    """pHash and dHash (64 bits each) of an image; a resized or re-encoded copy lands a few bits away."""
    import imagehash

    small = img.convert("L")
    small.thumbnail((256, 256))  # shrinking once first keeps both hashes fast on a large decoded image
    return Hashes(phash=str(imagehash.phash(small)), dhash=str(imagehash.dhash(small)))


def photo_hashes(data: bytes) -> Hashes:
    """The hashes straight from the file's bytes (a JPEG decoded small and grey)."""
    return image_hashes(open_image(data, max_side=HASH_DECODE_SIDE, mode="L"))


def _hash_file(path: str) -> Hashes | None:
    try:
        return photo_hashes(Path(path).read_bytes())
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def hash_files(paths: Sequence[str | os.PathLike], *, workers: int = 2) -> list[Hashes | None]:
    """The hashes of many image files (None for one that cannot be read), `workers` at a time. Threads are
    enough: Pillow releases the GIL while it decodes, which is most of the work, so two cores hash about
    twice as many photos, without starting processes or copying image bytes between them."""
    names = [os.fspath(p) for p in paths]
    if workers <= 1 or len(names) < 2:
        return [_hash_file(p) for p in names]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(_hash_file, names))


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def distance(a: Hashes, b: Hashes) -> int:
    """Bits that differ over both hashes (0–128): pHash is robust to resizing, dHash to re-encoding; together
    they keep unrelated pictures apart better than either alone."""
    return hamming(a.phash, b.phash) + hamming(a.dhash, b.dhash)


def is_near_duplicate(a: Hashes, b: Hashes, *, max_distance: int) -> bool:
    return distance(a, b) <= max_distance


# ------------------------------------------------------------------------------
# EXIF
# ------------------------------------------------------------------------------
def camera_model(img: Image.Image) -> str:
    """ "Make Model" from EXIF (e.g. "HUAWEI ELS-AN00"), empty when the photo carries none."""
    try:
        exif = img.getexif()
    except (OSError, ValueError):
        return ""
    make = str(exif.get(0x010F) or "").strip("\x00 ").strip()
    model = str(exif.get(0x0110) or "").strip("\x00 ").strip()
    if make and model.lower().startswith(make.lower()):
        make = ""
    return " ".join(p for p in (make, model) if p)[:100]


def capture_time_problem(
    taken_at: datetime.datetime | None,
    *,
    start: datetime.date,
    end: datetime.date | None,
    uploaded_at: datetime.datetime | None,
    tolerance_days: int,
) -> str:
    """Why the capture time does not fit the activity ("" when it fits or is unknown). Datetimes are aware;
    dates are compared in the capture time's own zone."""
    if taken_at is None:
        return ""
    if uploaded_at is not None and taken_at > uploaded_at + datetime.timedelta(minutes=5):
        return "拍摄时间晚于上传时间"
    day = taken_at.date()
    first = start - datetime.timedelta(days=tolerance_days)
    last = (end or start) + datetime.timedelta(days=tolerance_days)
    if day < first:
        return f"拍摄于活动开始前 {(start - day).days} 天"
    if day > last:
        return f"拍摄于活动结束后 {(day - (end or start)).days} 天"
    return ""


# ------------------------------------------------------------------------------
# Banner text: names and dates
# ------------------------------------------------------------------------------
_DROP = re.compile(r"[\s\u3000·・.,，。、:：;；!！?？\"'“”‘’()（）《》〈〉【】\[\]<>—\-_/\\|]+")
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9, "两": 2})
_DATE_PATTERNS = (
    re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
    re.compile(r"((?:19|20)\d{2})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"),
)
_CN_NUM = "一二三四五六七八九十"
_CN_DATE = re.compile(rf"([〇零○O一二三四五六七八九]{{4}})年([{_CN_NUM}]{{1,3}})月([{_CN_NUM}]{{1,3}})[日号]")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), no spaces or punctuation: OCR splits and spaces words freely."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or ""))


def _cn_small_number(s: str) -> int:
    """一..三十一 written in Chinese numerals."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(s, 0)


def find_dates(text: str) -> list[datetime.date]:
    """Every valid calendar date written in the text (2026年3月5日, 2026.3.5, 2026-03-05, 二〇二六年三月五日)."""
    flat = unicodedata.normalize("NFKC", text or "")
    found: list[datetime.date] = []
    for pattern in _DATE_PATTERNS:
        for y, m, d in pattern.findall(flat):
            with contextlib.suppress(ValueError):
                found.append(datetime.date(int(y), int(m), int(d)))
    for y, m, d in _CN_DATE.findall(flat):
        with contextlib.suppress(ValueError):
            year = int("".join(str(_CN_DIGITS[c]) for c in y))
            found.append(datetime.date(year, _cn_small_number(m), _cn_small_number(d)))
    return list(dict.fromkeys(found))


def find_name(text: str, names: Sequence[str], *, min_ratio: float = 0.85) -> str:
    """The first of `names` written in the text ("" if none). Exact after normalising; a name of 5 or more
    characters also matches a window of the text that differs by about one misread character in eight."""
    flat = normalise(text)
    candidates = [(n, normalise(n)) for n in names if normalise(n)]
    for name, norm in candidates:
        if norm in flat:
            return name
    for name, norm in candidates:
        if len(norm) < 5 or len(flat) < len(norm) - 1:
            continue
        for size in {len(norm) - 1, len(norm), len(norm) + 1}:
            for i in range(0, max(len(flat) - size, 0) + 1):
                if difflib.SequenceMatcher(None, norm, flat[i : i + size], autojunk=False).ratio() >= min_ratio:
                    return name
    return ""


# ------------------------------------------------------------------------------
# OCR
# ------------------------------------------------------------------------------
@dataclass
class OcrResult:
    status: str
    text: str = ""
    seconds: float = 0.0
    note: str = ""
    lines: list[tuple[str, float]] = field(default_factory=list)


def ocr_installed() -> bool:
    return importlib.util.find_spec(OCR_PACKAGE) is not None


def downscale_for_ocr(img: Image.Image, max_side: int) -> bytes:
    """A PNG of the photo no larger than max_side on its longer side (banners stay legible; OCR runs faster)."""
    small = img.copy()
    small.thumbnail((max_side, max_side))
    out = io.BytesIO()
    small.save(out, "PNG", compress_level=1)
    return out.getvalue()


@contextlib.contextmanager
def ocr_slot(slots: int, *, lock_dir: str | None = None, wait: float = 600.0) -> Iterator[None]:
    """Hold one of `slots` OCR slots on this machine (file locks), so at most that many photos are read at
    once per worker host, whatever the worker's concurrency. Waits for a slot up to `wait` seconds."""
    import fcntl

    folder = Path(lock_dir or tempfile.gettempdir()) / "wenming-ocr-slots"
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for i in range(max(slots, 1)):
            fh = open(folder / f"slot-{i}.lock", "a+")  # noqa: SIM115 - held until the with-block ends
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError("no OCR slot free")
        time.sleep(0.2)


def run_ocr(img: Image.Image, *, timeout: float, max_side: int = 1280, threads: int = 2) -> OcrResult:
    """Read the text of a photo in a child process; killed (status timeout) after `timeout` seconds."""
    if not ocr_installed():
        return OcrResult(status=OCR_DISABLED, note="OCR 未启用（未安装 rapidocr-onnxruntime）")
    png = downscale_for_ocr(img, max_side)
    started = time.monotonic()
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": path}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ledger.evidence_checks", "--threads", str(threads)],
            input=png,
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        seconds = time.monotonic() - started
        return OcrResult(status=OCR_TIMEOUT, seconds=seconds, note=f"文字识别超过 {timeout:g} 秒，已跳过")
    seconds = time.monotonic() - started
    tail = (proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""])[0]
    if proc.returncode == _EXIT_NOT_LOADABLE:
        # Installed but unusable, e.g. opencv without libgl1 in a slim image: the same as not installed.
        return OcrResult(status=OCR_DISABLED, note=f"OCR 未启用（rapidocr-onnxruntime 无法加载：{tail[:120]}）")
    if proc.returncode != 0:
        return OcrResult(status=OCR_FAILED, seconds=seconds, note=f"文字识别失败：{tail[:150]}")
    payload = json.loads(proc.stdout.decode("utf-8") or "{}")
    lines = [(str(t), float(s)) for t, s in payload.get("lines", [])]
    return OcrResult(status=OCR_OK, text="\n".join(t for t, _ in lines), seconds=seconds, lines=lines)


def _ocr_child(threads: int) -> int:
    """Child process: PNG on stdin, {"lines": [[text, score], ...]} on stdout; exit 3 when the package
    cannot be imported (missing, or a shared library it needs is missing)."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except (ImportError, OSError) as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return _EXIT_NOT_LOADABLE

    engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
    result, _elapsed = engine(sys.stdin.buffer.read())  # PNG bytes: the engine converts them to BGR itself
    lines = [[r[1], round(float(r[2]), 4)] for r in (result or [])]
    sys.stdout.write(json.dumps({"lines": lines}, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through run_ocr
    threads_arg = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
    raise SystemExit(_ocr_child(int(threads_arg)))
