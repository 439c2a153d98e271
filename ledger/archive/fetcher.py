"""The only way the archive's renderer reads anything: project static files and this archive's own images.

WeasyPrint asks the url_fetcher for every stylesheet, image and font the HTML names. User text is escaped before it
reaches the HTML, but the fetcher is the second wall: any URL that is not a file under an allowed folder (the
project's static files, the archive's image cache) fails here, before any socket is opened or any other file read.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

MAX_BYTES = 32 * 1024 * 1024
# A fixed table, not `mimetypes` (whose first use reads /etc/mime.types and friends mid-render).
CONTENT_TYPES = {
    ".css": "text/css",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
}


class ArchiveFetcher(URLFetcher):
    """Serves `file:` URLs inside `allowed_roots` (static files) or listed in `allowed_files` (this archive's images)
    only; no redirects, no network, capped size.

    Every refusal is logged and kept in `refused`, so a caller (and a test) can see what was asked for.
    """

    def __init__(self, allowed_roots: list[str | Path], allowed_files: list[str | Path] = ()) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=False, timeout=1)
        self.roots = [os.path.realpath(r) + os.sep for r in allowed_roots]
        self.files = {os.path.realpath(f) for f in allowed_files}
        self.refused: list[str] = []
        self.served: list[str] = []

    def _refuse(self, url: str, why: str) -> None:
        self.refused.append(url)
        logger.warning("archive renderer refused %s (%s)", url[:300], why)
        raise ValueError(f"refused: {why}")

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in {"", "localhost"}:
            self._refuse(url, "not a local file")
        path = os.path.realpath(unquote(parts.path))
        if path not in self.files and not any(path.startswith(root) for root in self.roots):
            self._refuse(url, "outside the allowed folders")
        try:
            size = os.path.getsize(path)
        except OSError:
            self._refuse(url, "missing")
        if size > MAX_BYTES:
            self._refuse(url, "too large")
        with open(path, "rb") as fh:
            body = fh.read(MAX_BYTES + 1)
        self.served.append(path)
        content_type = CONTENT_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")
        return URLFetcherResponse(Path(path).as_uri(), body=body, headers={"Content-Type": content_type})
