"""PDFs written byte by byte, so each test knows exactly what the file holds and how it is spelt.

`classic()` writes a PDF 1.4 file with an xref table; `with_object_stream()` a PDF 1.5 file whose chosen objects
sit zlib-compressed in an /ObjStm and are found through a cross-reference stream, as Word and Acrobat write them.
"""

from __future__ import annotations

import io
import struct
import zlib

CATALOG = b"<< /Type /Catalog /Pages 2 0 R%s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R%s >>"
CONTENT = b"BT /Helvetica 12 Tf 20 50 Td (Plan) Tj ET"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def classic(*, catalog_extra: bytes = b"", page_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """Objects 1-4 (catalog, pages, page, content), then `extra_objects` as 5, 6, …; a correct xref table."""
    objects = [CATALOG % catalog_extra, PAGES, PAGE % page_extra, _stream(CONTENT), *extra_objects]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def with_object_stream(
    packed: tuple[bytes, ...], *, catalog_extra: bytes = b"", page_extra: bytes = b""
) -> tuple[bytes, list[int]]:
    """Objects 1-4 written plainly; `packed` become objects 6, 7, … inside object stream 5 (FlateDecode);
    a cross-reference stream (the last object) lists both kinds. Returns the file and the packed numbers."""
    plain = [CATALOG % catalog_extra, PAGES, PAGE % page_extra, _stream(CONTENT)]
    first_packed = len(plain) + 2
    numbers = list(range(first_packed, first_packed + len(packed)))
    header, bodies = b"", b""
    for number, body in zip(numbers, packed, strict=True):
        header += b"%d %d " % (number, len(bodies))
        bodies += body + b"\n"
    objstm_data = zlib.compress(header + bodies)
    objstm = _stream(objstm_data, b" /Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (len(packed), len(header)))

    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in enumerate([*plain, objstm], start=1):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_number = numbers[-1] + 1
    offsets[xref_number] = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, xref_number + 1):
        if number in numbers:
            rows.append(struct.pack(">BIH", 2, len(plain) + 1, numbers.index(number)))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    xref_data = b"".join(rows)
    xref_dict = b" /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number + 1)
    out.write(b"%d 0 obj\n" % xref_number + _stream(xref_data, xref_dict) + b"\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number])
    return out.getvalue(), numbers
