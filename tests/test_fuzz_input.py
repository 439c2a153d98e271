"""Odd input never answers 5xx: every page of the resolver, every form on it, as every role of the permission world.

The URL names come from the resolver (as the permission matrix walks it), so a new page is fuzzed without being
listed here. Pages without required URL arguments are opened as they are; pages with arguments are opened with the
unit A objects that tests/permissions/ builds for them. Each page is then asked

- with odd query strings: every parameter its filter forms name (and the usual ones: year, campaign, id, org, q,
  page, sort ...) set to one odd value at a time (-1, 20 digits, NUL, a vertical tab, 1e400 ...), all together and
  one by one;
- through every POST form it renders (and every declared POST case of the matrix): each field replaced, one at a
  time, by a 30-digit number, 1e400, NaN, -0, an implausible date or a NUL byte.

Every request runs inside a savepoint that is rolled back, so a delete button pressed by one role does not take the
object away from the next, and a database error cannot poison the rest of the test.
"""

from __future__ import annotations

import traceback
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ACTORS, World, build_world
from tests.permissions import EXCLUDED_NAMESPACES, Case, all_cases

CASES = all_cases()

# Parameters asked of every page, beside the ones its own GET forms name.
COMMON_PARAMS = (
    "year",
    "campaign",
    "id",
    "org",
    "organization",
    "unit",
    "task",
    "other",
    "q",
    "page",
    "sort",
    "status",
    "category",
    "kind",
    "view",
)
ODD_QUERY_VALUES = (
    "-1",
    "9999999999999999999",
    "99999999999999999999",
    "99999999999",
    "\x00",
    "甲\x0b乙",
    "abc",
    "junk",
    "1e400",
    "NaN",
    "-0",
    "²",  # str.isdigit() says yes, int() says no
)
ODD_FORM_VALUES = (
    "9" * 30,
    "-" + "9" * 30,
    "1e400",
    "NaN",
    "-0",
    "9999-12-31",
    "0001-01-01",
    "1999-12-31",
    "甲\x00乙",
    "甲\x0b乙",
    "²",
)
# One role also asks every parameter alone (every role already meets every (parameter, value) pair mixed).
SINGLE_PARAM_ACTORS = ("a_admin",)
# Pages whose POST logs the user out or changes who is signed in: posting them would end the walk.
NO_POST = {"logout"}


def _patterns(patterns, namespace: str = "") -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            found.update(_patterns(p.url_patterns, full))
        elif isinstance(p, URLPattern) and p.name:
            found.setdefault(f"{namespace}:{p.name}" if namespace else p.name, p)
    return found


PATTERNS = {
    name: p
    for name, p in _patterns(get_resolver().url_patterns).items()
    if not (":" in name and name.split(":", 1)[0] in EXCLUDED_NAMESPACES)
}


def _needs_kwargs(pattern: URLPattern) -> bool:
    return bool(pattern.pattern.converters) or "(?P<" in str(pattern.pattern)


def _kwargs_builder(name: str):
    for case in CASES:
        if case.name == name and case.kwargs is not None:
            return case.kwargs
    return None


def _populate(world: World) -> None:
    """Build every unit A object the matrix knows, so list pages have rows to show and filter."""
    for case in CASES:
        if case.kwargs is not None:
            case.kwargs(world)
        if case.data is not None:
            case.data(world)


def _forms(html: bytes, page_url: str) -> list[tuple[str, dict[str, str]]]:
    """(action URL, default field values) of every POST form and hx-post element on a page."""
    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for form in doc.iter("form"):
        action = form.get("hx-post") or (form.get("action") if (form.get("method") or "").lower() == "post" else None)
        if action is None and (form.get("method") or "").lower() != "post":
            continue
        action = urljoin(page_url, action or page_url)
        if urlsplit(action).netloc not in ("", "testserver"):
            continue
        values: dict[str, str] = {}
        for field in form.iter("input", "select", "textarea"):
            name = field.get("name")
            if not name or name == "csrfmiddlewaretoken":
                continue
            if field.tag == "input":
                kind = (field.get("type") or "text").lower()
                if kind == "file" or (kind in ("checkbox", "radio") and field.get("checked") is None):
                    continue
                values.setdefault(name, field.get("value") or "")
            elif field.tag == "select":
                options = [o.get("value", o.text_content()) for o in field.iter("option")]
                selected = [o.get("value", o.text_content()) for o in field.iter("option") if o.get("selected")]
                values.setdefault(name, (selected or [o for o in options if o] or [""])[0])
            else:
                values.setdefault(name, field.text_content())
        found.append((urlsplit(action).path + (f"?{urlsplit(action).query}" if urlsplit(action).query else ""), values))
    return found


def _get_params(html: bytes) -> set[str]:
    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return set()
    names = set()
    for form in doc.iter("form"):
        if (form.get("method") or "get").lower() == "get" and not form.get("hx-post"):
            names |= {f.get("name") for f in form.iter("input", "select", "textarea") if f.get("name")}
    return names


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's own code, to say where an exception came from."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/.venv/" not in f.filename]
    return f"{frames[-1].filename.rsplit('/main/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"


class Walk:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.causes: dict[str, list[str]] = {}
        self.requests = 0

    def summary(self) -> str:
        """One line per distinct cause (exception and place), with its first example and how often it came."""
        return "\n".join(f"{len(seen)}× {cause}\n    e.g. {seen[0]}" for cause, seen in self.causes.items())

    def ask(self, client: Client, actor: str, method: str, url: str, data=None, headers=None, note: str = ""):
        self.requests += 1
        sid = transaction.savepoint()
        try:
            response = getattr(client, method)(url, data=data, headers=headers or {})
        except Exception as exc:  # the client re-raises what the view raised: that is a 500
            example = f"{actor}: {method.upper()} {url} {note}"
            self.failures.append(example)
            self.causes.setdefault(f"{exc!r:.200} at {_where(exc)}", []).append(example)
            return None
        finally:
            transaction.savepoint_rollback(sid)
        if response.status_code >= 500:
            example = f"{actor}: {method.upper()} {url} {note}"
            self.failures.append(example)
            self.causes.setdefault(f"HTTP {response.status_code}", []).append(example)
        return response


def _clients(world: World) -> dict[str, Client]:
    clients = {}
    for actor in ACTORS:
        client = Client()
        user = world.user(actor)
        if user is not None:
            client.force_login(user)
        clients[actor] = client
    return clients


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_odd_input_never_answers_5xx(name: str):
    """GIVEN the permission world with unit A's objects WHEN every role sends odd queries and odd form values to
    this page THEN no answer is a 5xx."""
    pattern = PATTERNS[name]
    world = build_world()
    _populate(world)
    if _needs_kwargs(pattern):
        builder = _kwargs_builder(name)
        assert builder is not None, f"{name} takes URL arguments but tests/permissions/ builds no object for it"
        url = reverse(name, kwargs=builder(world))
    else:
        url = reverse(name)
    walk = Walk()
    declared_posts: list[Case] = [c for c in CASES if c.name == name and c.method == "post" and c.data]
    posted: set[tuple[str, str, tuple[str, ...]]] = set()
    for actor, client in _clients(world).items():
        page = walk.ask(client, actor, "get", url)
        html = page.content if page is not None and page.get("Content-Type", "").startswith("text/html") else b""
        filters = _get_params(html) - {"csrfmiddlewaretoken"}
        params = sorted(set(COMMON_PARAMS) | filters)
        # Every (parameter, odd value) pair once, mixed: request k gives parameter i the value (i + k) mod n.
        n = len(ODD_QUERY_VALUES)
        for k in range(1 if actor == "anon" else n):
            query = {p: ODD_QUERY_VALUES[(i + k) % n] for i, p in enumerate(params)}
            walk.ask(client, actor, "get", f"{url}?{urlencode(query)}", note="(mixed)")
        # One by one as well, so a filter form refusing one field cannot hide another field's crash.
        if actor in SINGLE_PARAM_ACTORS and (filters or not _needs_kwargs(pattern)):
            for param in params:
                for value in ODD_QUERY_VALUES:
                    walk.ask(client, actor, "get", f"{url}?{urlencode({param: value})}")
        if name in NO_POST or actor == "anon":
            continue
        forms = _forms(html, url) if page is not None and page.status_code == 200 else []
        for case in declared_posts:
            case_url = reverse(name, kwargs=case.kwargs(world) if case.kwargs else None)
            forms.append((case_url, {k: str(v) for k, v in case.data(world).items()}))
        for action, defaults in forms:
            walk.ask(client, actor, "post", action, data=defaults, note="(defaults)")
            # The same form seen by a second role of the same side runs the same validation: post it once per side.
            key = (actor.split("_", 1)[0], action, tuple(sorted(defaults)))
            if key in posted:
                continue
            posted.add(key)
            for field in defaults:
                for value in ODD_FORM_VALUES:
                    walk.ask(client, actor, "post", action, data={**defaults, field: value}, note=f"{field}={value!r}")
    if walk.failures:
        pytest.fail(f"{len(walk.failures)} of {walk.requests} requests failed:\n" + walk.summary(), pytrace=False)
