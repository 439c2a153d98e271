"""Security headers and error pages: the CSP (with a nonce) and Permissions-Policy on every HTML response, no-store on
pages with passwords, Chinese 400/403/404/500 and CSRF pages, the 403 showing the view's reason.

The first test runs the site under config.settings.production in a subprocess (tests/config/production_probe.py);
the others run in-process under the test settings, which use the same middleware and policy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template import loader
from django.test import Client, RequestFactory

from campaigns.models import Campaign
from config.middleware import SecurityHeadersMiddleware
from organizations.models import Membership, Role
from tests.config.production_probe import MARKER
from tests.factories import CampaignFactory, TaskFactory

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
NONCE = re.compile(r"script-src ([^;]*)'nonce-([A-Za-z0-9_-]{16,})'")
DIRECTIVES = {
    "default-src": "'self'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "connect-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
}
REFUSED_FEATURES = ("camera=()", "geolocation=()", "microphone=()", "payment=()", "usb=()")


def _directives(csp: str) -> dict[str, str]:
    out = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value.strip()
    return out


def assert_strict_csp(csp: str, body: str = "") -> str:
    """The policy the brief asks for; returns the nonce (which the page's own script tags carry)."""
    assert csp, "no Content-Security-Policy"
    directives = _directives(csp)
    for name, value in DIRECTIVES.items():
        assert directives.get(name) == value, (name, directives.get(name))
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    match = NONCE.search(csp)
    assert match, csp
    assert match.group(1).strip() == "'self'"
    nonce = match.group(2)
    if "<script" in body and "src=" in body:
        assert f'nonce="{nonce}"' in body
    return nonce


# ----------------------------------------------------------------------------------------------
# Under production settings
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def production_pages(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("production")
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.config.production_probe"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "k7#Qz!v2Lr9@xT4pW8&nB3sY6^mE1cJ5hG0uD*fA-iO+eR=wN_bH(K)lP",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"sqlite:///{tmp / 'production.sqlite3'}",
            "STATIC_ROOT": str(tmp / "static"),
            "MEDIA_ROOT": str(tmp / "media"),
            "LOG_LEVEL": "ERROR",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith(MARKER))
    return {row["label"]: row for row in json.loads(line[len(MARKER) :])}


def test_production_every_html_response_carries_csp_with_nonce_and_permissions_policy(production_pages):
    expected = {
        "login": 200,
        "home": 200,
        "campaigns": 200,
        "campaign": 200,
        "tasks": 200,
        "task": 200,
        "ledger": 200,
        "dossier": 200,
        "evaluation": 200,
        "volunteers": 200,
        "volunteer-stats": 200,
        "orgs": 200,
        "org": 200,
        "password-change": 200,
        "password-change-done": 200,
        "not-found": 404,
        "forbidden": 403,
        "htmx-fragment": 200,
        "htmx-forbidden": 403,
        "member-password": 200,
    }
    assert {label: row["status"] for label, row in production_pages.items()} == expected
    nonces = set()
    for label, row in production_pages.items():
        assert row["content_type"].startswith("text/html"), label
        nonces.add(assert_strict_csp(row["csp"], row["body"]))
        for feature in REFUSED_FEATURES:
            assert feature in row["permissions_policy"], (label, row["permissions_policy"])
        # Nothing inline for the policy to refuse.
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", row["body"]), label
        assert not re.search(r"\sstyle=|\son[a-z]+=", row["body"]), label
    assert len(nonces) == len(production_pages), "the nonce must be fresh on every response"


def test_production_pages_with_passwords_are_not_stored(production_pages):
    for label in ("login", "password-change", "password-change-done", "member-password"):
        assert "no-store" in production_pages[label]["cache_control"], label
    assert 'data-testid="new-password"' in production_pages["member-password"]["body"]
    assert "no-store" not in production_pages["campaigns"]["cache_control"]


def test_production_403_shows_the_views_reason_and_404_is_chinese(production_pages):
    assert "只有本单位的创建办或管理员可以修改创建活动。" in production_pages["forbidden"]["body"]
    assert "403 Forbidden" not in production_pages["forbidden"]["body"]
    fragment = production_pages["htmx-forbidden"]["body"]
    assert re.search(r"data-error-message>您所在的部门不承担此任务，不能填报进展。<", fragment)
    page = production_pages["not-found"]["body"]
    assert "页面不存在" in page and "Not Found" not in page and "The requested resource" not in page


# ----------------------------------------------------------------------------------------------
# In-process (test settings: the same middleware and policy)
# ----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_csp_on_htmx_fragments_and_nonce_in_templates(client, world):
    campaign = CampaignFactory(unit=world.unit_a)
    task = TaskFactory(campaign=campaign, lead_units=[world.dept_a])
    client.force_login(world.user("a_liaison"))
    page = client.get(f"/campaigns/tasks/{task.pk}/")
    nonce = assert_strict_csp(page["Content-Security-Policy"], page.content.decode())
    assert page.content.decode().count(f'nonce="{nonce}"') >= 3  # bootstrap, htmx, app.js
    assert '"allowEval": false' in page.content.decode()
    fragment = client.post(
        f"/campaigns/tasks/{task.pk}/report/",
        {f"t{task.pk}-percent": "30", f"t{task.pk}-text": "已部署"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert_strict_csp(fragment["Content-Security-Policy"])
    assert "camera=()" in fragment["Permissions-Policy"]


@pytest.mark.django_db
def test_a_view_that_sets_its_own_policy_keeps_it(client, world, settings):
    """GIVEN a response with its own CSP (the evidence views sandbox uploads) THEN the middleware leaves it alone."""

    def view(request):
        response = HttpResponse("<p>x</p>")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "camera=()" in response["Permissions-Policy"]
    plain = SecurityHeadersMiddleware(lambda r: HttpResponse(b"{}", content_type="application/json"))(
        RequestFactory().get("/")
    )
    assert "Content-Security-Policy" not in plain and "Permissions-Policy" in plain


@pytest.mark.django_db
def test_debug_technical_pages_go_without_the_policy_but_our_pages_keep_it(client, world, settings):
    """GIVEN DEBUG (make run) WHEN Django's technical 404 (inline styles) is sent THEN without CSP; a 403 keeps it."""
    settings.DEBUG = True
    client.force_login(world.user("a_leader"))
    missing = client.get("/campaigns/987654321/")
    assert missing.status_code == 404 and "Content-Security-Policy" not in missing
    assert "camera=()" in missing["Permissions-Policy"]
    campaign = CampaignFactory(unit=world.unit_a)
    denied = client.get(f"/campaigns/{campaign.pk}/edit/")
    assert denied.status_code == 403
    assert_strict_csp(denied["Content-Security-Policy"], denied.content.decode())


@pytest.mark.django_db
def test_403_shows_the_reason_the_view_gave(client, world):
    campaign = CampaignFactory(unit=world.unit_a)
    client.force_login(world.user("a_leader"))
    response = client.get(f"/campaigns/{campaign.pk}/edit/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "只有本单位的创建办或管理员可以修改创建活动。" in body
    assert "无权进行此操作" in body and 'data-testid="current-user"' in body  # in the site's layout
    assert_strict_csp(response["Content-Security-Policy"], body)
    assert Campaign.objects.filter(pk=campaign.pk).exists()


@pytest.mark.django_db
@pytest.mark.urls("tests.config.error_urls")
def test_error_pages_are_chinese_and_an_english_reason_is_not_shown(client, world):
    client.force_login(world.user("a_office"))
    client.raise_request_exception = False
    denied = client.get("/test-errors/403/")
    assert denied.status_code == 403
    assert "您没有权限访问此页面或进行此操作。" in denied.content.decode()
    assert "CSRF-ish" not in denied.content.decode()
    bad = client.get("/test-errors/400/")
    assert bad.status_code == 400 and "请求有误" in bad.content.decode() and "tampered" not in bad.content.decode()
    assert_strict_csp(bad["Content-Security-Policy"])
    crash = client.get("/test-errors/500/")
    body = crash.content.decode()
    assert crash.status_code == 500 and "服务器出错了" in body and "a bug" not in body
    assert_strict_csp(crash["Content-Security-Policy"])
    missing = client.get("/campaigns/987654321/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    assert "Not Found" not in missing.content.decode()


def test_500_page_renders_without_request_or_database(django_db_blocker):
    """GIVEN no request and no database access WHEN the 500 template renders THEN it is a whole Chinese page."""
    with django_db_blocker.block():
        html = loader.render_to_string("500.html")
    assert html.lstrip().startswith("<!doctype html>") and "服务器出错了" in html and "{%" not in html
    assert 'href="/static/css/app.css"' in html


@pytest.mark.django_db
def test_error_templates_render_with_and_without_a_request(rf, world):
    request = rf.get("/x/")
    request.user = world.user("a_office")
    request.csp_nonce = "abc"
    for name, text in (
        ("400.html", "请求有误"),
        ("403.html", "无权进行此操作"),
        ("404.html", "页面不存在"),
        ("403_csrf.html", "页面已过期"),
    ):
        assert text in loader.render_to_string(name, {"reason": ""})
        assert text in loader.render_to_string(name, {"reason": ""}, request=request)
    assert "原因甲" in loader.render_to_string("403.html", {"reason": "原因甲"})


@pytest.mark.django_db
def test_csrf_failure_page_is_chinese(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("a_office"))
    response = client.post("/accounts/logout/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期，请刷新后重试" in body and "CSRF verification failed" not in body
    assert_strict_csp(response["Content-Security-Policy"], body)


@pytest.mark.django_db
def test_password_pages_are_no_store(client, world):
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]
    client.force_login(world.user("a_admin"))
    assert "no-store" in client.get("/accounts/password/")["Cache-Control"]
    assert "no-store" in client.get("/accounts/password/done/")["Cache-Control"]
    membership = Membership.objects.get(user=world.user("a_office"), role=Role.OFFICE)
    reset = client.post(f"/orgs/members/{membership.pk}/password/")
    assert reset.status_code == 200 and 'data-testid="new-password"' in reset.content.decode()
    assert "no-store" in reset["Cache-Control"]


# ----------------------------------------------------------------------------------------------
# The sources: nothing inline for the policy to refuse
# ----------------------------------------------------------------------------------------------
INLINE = [
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "inline <script>"),
    (re.compile(r"<style", re.IGNORECASE), "<style> block"),
    (re.compile(r"hx-on|hx-vals=['\"]js:|hx-vars", re.IGNORECASE), "htmx eval"),
]


def test_no_template_has_inline_script_or_style():
    problems = []
    for path in sorted({*TEMPLATES.rglob("*.html"), *ROOT.glob("*/templates/**/*.html")}):
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_our_javascript_neither_evals_nor_writes_style_attributes():
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\beval\(",
            r"new Function",
            r"setAttribute\(\s*['\"]style",
            r"\.innerHTML\s*=\s*[^\"' ]",
            r"<style",
        ):
            assert not re.search(pattern, text), (path.name, pattern)
