"""Real samples of every allowed type and the bad-input corpus, generated in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"


def jpeg(color=(200, 30, 30), size=(64, 48), taken: str | None = "2026:05:12 09:30:00", seed: int = 0) -> bytes:
    img = Image.new("RGB", size, color)
    # Vary a pixel so every sample has its own SHA-256.
    img.putpixel((seed % size[0], (seed // size[0]) % size[1]), (seed % 256, 255 - seed % 256, 7))
    out = io.BytesIO()
    exif = Image.Exif()
    if taken:
        exif[306] = taken
    img.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def image(fmt: str, size=(40, 30)) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (20, 120, 200))
    if fmt == "GIF":
        img = img.convert("P")
    img.save(out, fmt)
    return out.getvalue()


def pdf(text: str = "Plan") -> bytes:
    """A tiny valid one-page PDF with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx() -> bytes:
    import docx as python_docx

    doc = python_docx.Document()
    doc.add_paragraph("关于开展文明交通志愿服务活动的通知")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "部门"])
    wb.active.append(["张三", "办公室"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pptx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/ppt/presentation.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>',
        )
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        zf.writestr("ppt/presentation.xml", '<?xml version="1.0"?><p:presentation/>')
    return out.getvalue()


def ole2(tag: bytes = b"") -> bytes:
    return OLE2_HEADER + tag + b"\x00" * (512 - len(OLE2_HEADER) - len(tag))


def mp4() -> bytes:
    ftyp = b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2avc1mp41"
    mdat = b"mdat" + b"\x00" * 32
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat


def text() -> bytes:
    return "签到表\n张三 办公室\n李四 人事科\n".encode()


def every_allowed_type() -> list[tuple[str, bytes]]:
    return [
        ("活动照片.jpg", jpeg()),
        ("现场.png", image("PNG")),
        ("横幅.webp", image("WEBP")),
        ("动图.gif", image("GIF")),
        ("活动方案.pdf", pdf()),
        ("通知.docx", docx()),
        ("签到表.xlsx", xlsx()),
        ("汇报.pptx", pptx()),
        ("旧版通知.doc", ole2(b"doc")),
        ("旧版签到.xls", ole2(b"xls")),
        ("旧版汇报.ppt", ole2(b"ppt")),
        ("说明.txt", text()),
        ("视频.mp4", mp4()),
    ]


# ------------------------------------------------------------------------------
# The bad-input corpus
# ------------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims a huge canvas (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def zip_bomb_docx(unpacked_mb: int = 210) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1 << 20)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="4"/></svg>'
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)


def bad_corpus(oversize_bytes: int) -> list[tuple[str, str, bytes]]:
    """(case id, file name, content) for every input the acceptance lists."""
    return [
        ("html-renamed-jpg", "活动照片.jpg", HTML),
        ("png-html-polyglot", "现场.png", image("PNG") + HTML),
        ("svg-with-script", "标志.svg", SVG),
        ("svg-renamed-png", "标志.png", SVG),
        ("exe-renamed-pdf", "活动方案.pdf", EXE),
        ("zero-bytes", "签到表.txt", b""),
        ("oversize", "大文件.txt", b"a" * oversize_bytes),
        ("png-30000x30000", "全景.png", png_claiming(30_000, 30_000)),
        ("zip-bomb-docx", "总结.docx", zip_bomb_docx()),
        ("traversal", "../../../etc/passwd.jpg", jpeg()),
        ("traversal-backslash", "..\\..\\windows\\活动.jpg", jpeg()),
        ("300-char-name", "活" * 296 + ".jpg", jpeg()),
        ("plain-zip", "材料.zip", zipfile_bytes()),
        ("zip-renamed-docx", "材料.docx", zipfile_bytes()),
        ("script-renamed-txt", "说明.txt", b"#!/bin/sh\nrm -rf /\n"),
    ]


def zipfile_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("a.txt", "hello")
    return out.getvalue()
