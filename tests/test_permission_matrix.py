"""Every URL, every actor: the declared table in tests/permissions/ against what the site answers."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ACTORS, build_world
from tests.permissions import EXCLUDED_NAMESPACES, Case, all_cases

CASES = all_cases()


def _url_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            names |= _url_names(p.url_patterns, full)
        elif isinstance(p, URLPattern):
            # An unnamed pattern cannot be declared: it fails here by name "<unnamed …>".
            name = p.name or f"<unnamed {p.pattern}>"
            names.add(f"{namespace}:{name}" if namespace else name)
    return names


def _excluded(name: str) -> bool:
    return name.split(":", 1)[0] in EXCLUDED_NAMESPACES and ":" in name


def test_every_url_pattern_has_a_declared_case():
    """GIVEN the resolver WHEN its URL names are compared with the table THEN none is missing and none is stale."""
    resolved = {n for n in _url_names(get_resolver().url_patterns) if not _excluded(n)}
    declared = {c.name for c in CASES}
    assert resolved - declared == set(), "URLs without a permission case (add them to tests/permissions/)"
    assert declared - resolved == set(), "permission cases for URLs that no longer exist"


def test_every_case_covers_every_actor():
    for case in CASES:
        assert set(case.expect) == set(ACTORS), case.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.django_db
def test_permission_matrix(case: Case):
    world = build_world()
    mismatches = []
    for actor in ACTORS:
        client = Client()
        user = world.user(actor)
        if user is not None:
            client.force_login(user)
        url = reverse(case.name, kwargs=case.kwargs(world) if case.kwargs else None)
        data = case.data(world) if case.data else None
        headers = {"HX-Request": "true"} if case.htmx else {}
        response = getattr(client, case.method)(url, data=data, headers=headers)
        expected = case.expect[actor]
        if response.status_code != expected:
            mismatches.append(f"{actor}: {case.method.upper()} {url} → {response.status_code}, expected {expected}")
        elif actor == "anon" and expected == 302 and case.name not in {"logout"}:
            assert response["Location"].startswith(reverse(settings.LOGIN_URL)), response["Location"]
    assert not mismatches, "\n".join(mismatches)
