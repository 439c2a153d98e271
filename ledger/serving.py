"""Sending a stored upload back to a browser: the one place that sets the headers, for every app's files.

The caller has already fetched the object through its scoped queryset; this only decides how the bytes go out.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header

# Anything not served as a PDF runs with no script and no plugins, even if a browser were to render it.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")


def may_show_inline(content_type: str) -> bool:
    """Images and PDF (types the checker decided from content) may be shown in place; all else downloads."""
    return content_type.split(";", 1)[0].strip() in INLINE_TYPES


def stored_file_response(file: FieldFile, *, content_type: str, download_name: str, inline: bool) -> FileResponse:
    """A response carrying `file`: RFC 6266 name (UTF-8), nosniff, a sandbox CSP unless PDF, private caching.

    `inline` is honoured only for images and PDF; a missing file on disk answers 404, not 500."""
    try:
        fh = file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("文件不存在或已被删除。") from None
    inline = inline and may_show_inline(content_type)
    response = FileResponse(fh, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, download_name)
    response["X-Content-Type-Options"] = "nosniff"
    if content_type != "application/pdf":
        # Browsers' PDF viewers do not run in a sandboxed document; PDFs with scripts are refused at upload.
        response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response
