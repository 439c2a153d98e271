"""One chunk of the archive, rendered in its own process: `python -m ledger.archive.worker SPEC.json`.

The spec names an HTML file already written by the parent (templates rendered, user text escaped), the PDF to
write, and the folders the fetcher may read. This module imports WeasyPrint and the fetcher only (no Django, no
database): the process exits after one chunk, so whatever WeasyPrint held for it is given back to the system.
Prints one JSON line: {"pages", "anchors" (id → page index), "peak_rss_mb", "refused"}.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from weasyprint import HTML

from ledger.archive.fetcher import ArchiveFetcher
from ledger.archive.memory import peak_rss_mb


def render_file(spec: dict) -> dict:
    fetcher = ArchiveFetcher(spec["roots"], allowed_files=spec.get("files", []))
    html = HTML(filename=spec["html"], base_url=spec["base_url"], url_fetcher=fetcher, encoding="utf-8")
    document = html.render(optimize_images=False, presentational_hints=False)
    pages = len(document.pages)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    document.write_pdf(spec["out"])
    return {
        "pages": pages,
        "anchors": anchors,
        "peak_rss_mb": peak_rss_mb(),
        "refused": fetcher.refused,
    }


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    result = render_file(spec)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
