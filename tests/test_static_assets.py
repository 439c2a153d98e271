"""Intranets have no internet: every asset is vendored, with its version recorded, and nothing loads from elsewhere."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//"""
)


def test_vendor_versions_are_recorded_and_files_match():
    versions = {}
    for line in (ROOT / "static/vendor/VERSIONS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split()
            versions[name] = version
    assert set(versions) == {"bootstrap", "htmx.org", "echarts"}
    css = (ROOT / "static/vendor/bootstrap/css/bootstrap.min.css").read_text(encoding="utf-8")[:200]
    assert f"v{versions['bootstrap']}" in css
    htmx = (ROOT / "static/vendor/htmx/htmx.min.js").read_text(encoding="utf-8")
    assert f'version:"{versions["htmx.org"]}"' in htmx.replace(" ", "") or versions["htmx.org"] in htmx
    echarts = (ROOT / "static/vendor/echarts/echarts.min.js").read_text(encoding="utf-8")
    assert versions["echarts"] in echarts


def test_templates_and_our_assets_load_nothing_from_external_hosts():
    offenders = []
    files = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    files += [p for p in ROOT.glob("static/**/*") if p.suffix in {".css", ".js"} and "vendor" not in p.parts]
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EXTERNAL.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not offenders, "\n".join(offenders)
