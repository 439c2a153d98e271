"""Deciding what an uploaded file really is, from its content; refusing everything else.

A pure module: bytes in, a `CheckedFile` or an `UploadRefused` (with a Chinese message) out. It never touches
the database or the storage. The type is decided by the content; the file name's extension must agree.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject

# Detected type → (accepted extensions, MIME type)
ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    "jpg": (frozenset({"jpg", "jpeg"}), "image/jpeg"),
    "png": (frozenset({"png"}), "image/png"),
    "webp": (frozenset({"webp"}), "image/webp"),
    "gif": (frozenset({"gif"}), "image/gif"),
    "pdf": (frozenset({"pdf"}), "application/pdf"),
    "doc": (frozenset({"doc"}), "application/msword"),
    "xls": (frozenset({"xls"}), "application/vnd.ms-excel"),
    "ppt": (frozenset({"ppt"}), "application/vnd.ms-powerpoint"),
    "docx": (
        frozenset({"docx"}),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (frozenset({"xlsx"}), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (
        frozenset({"pptx"}),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "txt": (frozenset({"txt"}), "text/plain; charset=utf-8"),
    "mp4": (frozenset({"mp4", "m4v"}), "video/mp4"),
}
IMAGE_TYPES = frozenset({"jpg", "png", "webp", "gif"})
ACCEPT_ATTR = ",".join(sorted(f".{e}" for exts, _ in ALLOWED.values() for e in exts))

MAX_NAME_LENGTH = 200
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Markers of active content that must never be served from our origin, wherever they sit in a file.
ACTIVE_MARKERS = re.compile(
    rb"<\s*(?:script|html|svg|iframe|object|embed|body|head|meta|!doctype\s+html)\b|javascript:", re.IGNORECASE
)
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|OpenAction\s*<<[^>]*/JS)\b")
# A PDF name may spell any byte as #xx (`/J#61vaScript` is `/JavaScript`): undo that before the byte search.
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Names that mean "run something" or "carry another file", as a dictionary key or as a value (`/S /JavaScript`).
PDF_ACTIVE_NAMES = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"})
PDF_BAD_URI = re.compile(r"^\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)
PDF_MAX_OBJECTS = 500_000
# A text note that opens as a markup document is a web page under another name.
MARKUP_DOCUMENT = re.compile(r"^\s*<\s*(?:!doctype\s+html|html|svg|\?xml|script)\b", re.IGNORECASE)
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"})
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


class UploadRefused(ValueError):
    """The file is refused; the message is Chinese and meant for the user."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"“{name}”未上传：{reason}")


@dataclass
class CheckedFile:
    original_name: str
    data: bytes
    detected_type: str
    content_type: str
    sha256: str
    width: int | None = None
    height: int | None = None
    taken_at: datetime.datetime | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def storage_name(self, prefix: str = "ledger") -> str:
        """A generated name: nothing of the user's file name reaches the disk."""
        today = timezone.localdate()
        return f"{prefix}/{today:%Y/%m}/{uuid.uuid4().hex}.{self.detected_type}"


def max_file_bytes(override_mb: int | None = None) -> int:
    return int(override_mb or getattr(settings, "LEDGER_MAX_FILE_MB", 20)) * 1024 * 1024


def max_dossier_bytes(override_mb: int | None = None) -> int:
    return int(override_mb or getattr(settings, "LEDGER_MAX_DOSSIER_MB", 200)) * 1024 * 1024


def max_files_per_batch() -> int:
    """How many files one request may carry: Django's own limit, so the two never disagree."""
    return int(getattr(settings, "DATA_UPLOAD_MAX_NUMBER_FILES", None) or 100)


def too_many_files_message(limit: int | None = None) -> str:
    return f"一次最多上传 {limit or max_files_per_batch()} 个文件，请分批上传。"


def max_image_pixels() -> int:
    return int(getattr(settings, "LEDGER_MAX_IMAGE_PIXELS", 50_000_000))


def max_unzipped_bytes() -> int:
    return int(getattr(settings, "LEDGER_MAX_UNZIPPED_MB", 200)) * 1024 * 1024


# ------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------
def clean_name(name: str) -> str:
    """The user's file name, checked; it is only ever shown and sent back, never used as a path."""
    name = unicodedata.normalize("NFC", name or "")
    shown = name[:40] + "…" if len(name) > 40 else name
    if not name.strip():
        raise UploadRefused("（无名文件）", "文件名为空。")
    if "/" in name or "\\" in name or name.startswith("."):
        raise UploadRefused(shown, "文件名含有路径或“..”，请改名后再上传。")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in name):
        raise UploadRefused(shown, "文件名含有控制字符，请改名后再上传。")
    if len(name) > MAX_NAME_LENGTH:
        raise UploadRefused(shown, f"文件名过长（{len(name)} 个字符，最多 {MAX_NAME_LENGTH} 个）。")
    return name.strip()


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# ------------------------------------------------------------------------------
# Content
# ------------------------------------------------------------------------------
def sniff(data: bytes) -> str | None:
    """The type named by the file's magic bytes; None when unknown."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[4:8] == b"ftyp":
        # The ISO family shares the box layout; only MP4 brands are MP4 (not HEIC, QuickTime, 3GP…).
        return "mp4" if head[8:12] in MP4_BRANDS else "ftyp"
    return None


def _head(data: bytes) -> bytes:
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()


def _refuse_dangerous(name: str, data: bytes) -> None:
    _refuse_programs(name, data)
    head = _head(data)
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head[:512]:
        raise UploadRefused(name, "不允许上传 SVG 或 XML 文件（可能含有脚本）。")
    if head.startswith((b"<!doctype", b"<html", b"<script", b"<head", b"<body", b"<")):
        raise UploadRefused(name, "不允许上传网页（HTML）文件。")


def _refuse_programs(name: str, data: bytes) -> None:
    head = _head(data)
    if head.startswith((b"mz", b"\x7felf", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        raise UploadRefused(name, "不允许上传可执行程序。")
    if head.startswith(b"#!"):
        raise UploadRefused(name, "不允许上传脚本文件。")
    for magic, what in (
        (b"rar!\x1a\x07", "RAR"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
        (b"\x1f\x8b", "gzip"),
        (b"bzh", "bzip2"),
        (b"\xfd7zxz\x00", "xz"),
    ):
        if head.startswith(magic):
            raise UploadRefused(name, f"不允许上传压缩包（{what}）。")


def _check_image(name: str, data: bytes, kind: str) -> tuple[int, int, datetime.datetime | None]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > max_image_pixels():
                raise UploadRefused(name, f"图片尺寸异常（{width}×{height} 像素），疑似“解压炸弹”，请压缩后再上传。")
            fmt = (img.format or "").lower()
            expected = {"jpg": "jpeg", "png": "png", "webp": "webp", "gif": "gif"}[kind]
            if fmt != expected:
                raise UploadRefused(name, "图片内容与其格式不符。")
            img.verify()
        # verify() does not decode pixel data; load a fresh copy to catch truncated or corrupt images.
        with Image.open(io.BytesIO(data)) as img:
            taken_at = _exif_taken_at(img)
            img.load()
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise UploadRefused(name, "图片尺寸异常，疑似“解压炸弹”，请压缩后再上传。") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused(name, "图片已损坏或无法识别。") from None
    if kind == "png":
        end = data.rfind(b"IEND")
        if end == -1 or len(data) > end + 8:
            raise UploadRefused(name, "图片在结尾附带了其他内容（疑似伪装文件）。")
    return width, height, taken_at


def _exif_taken_at(img: Image.Image) -> datetime.datetime | None:
    try:
        exif = img.getexif()
    except Exception:
        return None
    raw = None
    try:
        raw = exif.get_ifd(0x8769).get(36867) or exif.get(306)
    except Exception:
        raw = exif.get(306) if exif else None
    if not raw or not isinstance(raw, str):
        return None
    try:
        naive = datetime.datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    return timezone.make_aware(naive)


def _check_ooxml(name: str, data: bytes, ext: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                raise UploadRefused(name, "不允许上传压缩包。")
            kind = next((k for k, prefix in OOXML_PARTS.items() if any(n.startswith(prefix) for n in names)), None)
            if kind is None:
                raise UploadRefused(name, "不允许上传压缩包。")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise UploadRefused(name, "不允许上传含宏的文档。")
            limit = max_unzipped_bytes()
            declared = sum(i.file_size for i in infos)
            if declared > limit or any(i.compress_size and i.file_size / i.compress_size > 200 for i in infos):
                raise UploadRefused(name, "文档解压后体积异常，疑似“压缩炸弹”。")
            # Sizes in the directory can lie: decompress for real, with a running cap.
            total = 0
            for info in infos:
                with zf.open(info) as member:
                    while chunk := member.read(1 << 16):
                        total += len(chunk)
                        if total > limit:
                            raise UploadRefused(name, "文档解压后体积异常，疑似“压缩炸弹”。")
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, RuntimeError):
        raise UploadRefused(name, "文档已损坏或无法识别。") from None
    return kind


def _check_text(name: str, data: bytes) -> str:
    """A plain-text note: decoded as UTF-16 (with its BOM), UTF-8 or GBK; returns the charset to serve it with.

    It is served as text/plain with nosniff, so a note may open with "<" or mention "javascript:"; what is
    refused is a program, a script, or a whole web page or SVG under a .txt name."""
    _refuse_programs(name, data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[tuple[str, str], ...] = (("utf-16", "utf-16"),)
    elif b"\x00" in data:
        raise UploadRefused(name, "文件内容不是文本。")
    else:
        candidates = (("utf-8-sig", "utf-8"), ("gb18030", "gb18030"))
    decoded = next((d for d in (_decode(data, enc, cs) for enc, cs in candidates) if d), None)
    if decoded is None:
        raise UploadRefused(name, "文本文件编码无法识别（请使用 UTF-8、GBK 或带 BOM 的 UTF-16）。")
    text, charset = decoded
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise UploadRefused(name, "文件内容不是文本。")
    if text.lstrip().startswith("#!"):
        raise UploadRefused(name, "不允许上传脚本文件。")
    if MARKUP_DOCUMENT.match(text):
        raise UploadRefused(name, "不允许把网页或 SVG 文件改名为文本文件上传。")
    return charset


def _decode(data: bytes, encoding: str, charset: str) -> tuple[str, str] | None:
    try:
        return data.decode(encoding), charset
    except UnicodeDecodeError:
        return None


CONTAINERS = (DictionaryObject, ArrayObject, IndirectObject)


def _opens_without_password(reader: PdfReader) -> bool:
    """Whether an encrypted PDF opens with the empty user password (permissions only, as many do)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an encryption pypdf cannot undo (AES without its crypto library) cannot be inspected
        return False


def _check_pdf(name: str, data: bytes) -> None:
    """Refuse a PDF that can run script, launch a program or carry another file, however it is spelt.

    A fast byte search first (names unescaped, so `/J#61vaScript` is seen), then the structure itself: every
    object pypdf finds, those packed in compressed object streams too, walked for the active names as keys or
    values (`/OpenAction`, `/AA` and annotation `/A` actions, `/Names /JavaScript`, `/Launch`, embedded
    files, XFA forms) and for `javascript:` links. A PDF that cannot be parsed is refused as damaged."""
    refused = "PDF 中含有脚本或嵌入文件，请另存为普通 PDF 后再上传。"
    if PDF_ACTIVE.search(data) or PDF_ACTIVE.search(PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), data)):
        raise UploadRefused(name, refused)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise UploadRefused(name, "PDF 已加密，无法检查其内容，请去除密码后再上传。")
        stack: list[object] = [reader.trailer]
        stack += [IndirectObject(num, gen, reader) for gen, entries in reader.xref.items() for num in entries]
        # An object packed in an object stream that pypdf cannot unpack is one a viewer might still read.
        packed = set(reader.xref_objStm)
        stack += [IndirectObject(num, 0, reader) for num in packed]
        seen: set[tuple[int, int]] = set()
        walked = 0
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                if (obj.idnum, obj.generation) in seen:
                    continue
                seen.add((obj.idnum, obj.generation))
                number, obj = obj.idnum, obj.get_object()
                if number in packed and (obj is None or isinstance(obj, NullObject)):
                    raise UploadRefused(name, "PDF 文件已损坏或无法识别。")
            walked += 1
            if walked > PDF_MAX_OBJECTS:
                raise UploadRefused(name, "PDF 结构过于复杂，无法检查，请另存为普通 PDF 后再上传。")
            if isinstance(obj, DictionaryObject):
                for key, value in dict.items(obj):
                    if key in PDF_ACTIVE_NAMES or (isinstance(value, NameObject) and value in PDF_ACTIVE_NAMES):
                        raise UploadRefused(name, refused)
                    if key == "/URI" and PDF_BAD_URI.match(str(value.get_object())):
                        raise UploadRefused(name, refused)
                    if isinstance(value, CONTAINERS):
                        stack.append(value)
            elif isinstance(obj, ArrayObject):
                stack.extend(v for v in list.__iter__(obj) if isinstance(v, CONTAINERS))
    except UploadRefused:
        raise
    except Exception:  # pypdf raises many kinds on a damaged file; each means the same to the user
        raise UploadRefused(name, "PDF 文件已损坏或无法识别。") from None


def check_file(name: str, data: bytes, *, max_bytes: int | None = None) -> CheckedFile:
    """Decide what `data` is; return it with its facts or raise UploadRefused with a Chinese reason."""
    name = clean_name(name)
    limit = max_bytes or max_file_bytes()
    if not data:
        raise UploadRefused(name, "文件为空（0 字节）。")
    if len(data) > limit:
        raise UploadRefused(name, f"文件过大（{len(data) / 1048576:.1f} MB，单个文件不超过 {limit // 1048576} MB）。")
    ext = extension_of(name)
    if ext in {"svg", "svgz", "html", "htm", "xhtml", "shtml", "xml", "js", "mjs", "hta"}:
        raise UploadRefused(name, "不允许上传网页、SVG 或脚本文件。")
    if ext in {"exe", "dll", "com", "bat", "cmd", "msi", "scr", "ps1", "vbs", "sh", "jar", "apk", "py", "php"}:
        raise UploadRefused(name, "不允许上传可执行程序或脚本。")
    if ext in {"zip", "rar", "7z", "gz", "tgz", "tar", "bz2", "xz"}:
        raise UploadRefused(name, "不允许上传压缩包。")
    if ext in {"docm", "xlsm", "pptm"}:
        raise UploadRefused(name, "不允许上传含宏的文档。")
    if not any(ext in exts for exts, _ in ALLOWED.values()):
        raise UploadRefused(name, "不支持的文件类型（可上传图片、PDF、Word、Excel、PPT、文本或 MP4 视频）。")

    magic = sniff(data)
    charset = None
    if magic is None and ext == "txt":
        charset = _check_text(name, data)
    elif magic is None:
        _refuse_dangerous(name, data)
    if magic == "zip":
        kind = _check_ooxml(name, data, ext)
    elif magic == "ole2":
        # Word, Excel and PowerPoint 97-2003 share the OLE2 container; the extension names which.
        kind = ext if ext in {"doc", "xls", "ppt"} else "ole2"
    elif magic is None:
        kind = "txt" if ext == "txt" else ""
    else:
        kind = magic
    if not kind or ext not in ALLOWED.get(kind, (frozenset(),))[0]:
        raise UploadRefused(name, "文件内容与扩展名不符（例如把网页或程序改名成了图片）。")

    # Active content hidden anywhere in a file we would serve inline (polyglots). A text note is served as
    # text/plain with nosniff, where markup is only characters.
    if (kind in IMAGE_TYPES or kind == "pdf") and ACTIVE_MARKERS.search(data):
        raise UploadRefused(name, "文件中夹带网页或脚本代码（疑似伪装文件）。")
    if kind == "pdf":
        _check_pdf(name, data)

    width = height = None
    taken_at = None
    if kind in IMAGE_TYPES:
        width, height, taken_at = _check_image(name, data, kind)
    return CheckedFile(
        original_name=name,
        data=data,
        detected_type=kind,
        content_type=f"text/plain; charset={charset}" if charset else ALLOWED[kind][1],
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        taken_at=taken_at,
    )
