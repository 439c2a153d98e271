"""The declared table of who may open which URL.

Each module in this package holds `CASES`, a list of `Case`. `tests/test_permission_matrix.py` walks every URL
pattern of the resolver and fails when one has no case, so every issue that adds a URL adds its cases here
(one module per app: `tests/permissions/<app>.py`).

Outcomes are HTTP status codes. Anonymous users are sent to the sign-in page (302). Objects of unit B asked for
by unit A's users answer 404, never 403, so ids cannot be probed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import ACTORS, World

# Namespaces left out of the matrix, with the reason. Everything else must have a case.
EXCLUDED_NAMESPACES = {
    "admin": "Django 后台仅限 is_staff 的平台运维人员，见 tests/organizations/test_admin.py",
}


@dataclass(frozen=True)
class Case:
    name: str  # "namespace:url_name"
    expect: dict[str, int]
    kwargs: Callable[[World], dict[str, Any]] | None = None
    method: str = "get"
    data: Callable[[World], dict[str, Any]] | None = None
    label: str = ""  # tells cases of one URL apart ("own unit", "other unit's object")
    htmx: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def outcomes(default: int, *, anon: int = 302, **overrides: int) -> dict[str, int]:
    """A full actor → status table: `default` for every signed-in actor, `anon` for anonymous, then overrides."""
    unknown = set(overrides) - set(ACTORS)
    if unknown:
        raise ValueError(f"unknown actors {unknown}")
    table = {actor: default for actor in ACTORS}
    table["anon"] = anon
    table.update(overrides)
    return table


def only(status: int, actors: set[str] | tuple[str, ...], *, otherwise: int = 404, anon: int = 302) -> dict[str, int]:
    """`status` for the named actors, `otherwise` for every other signed-in actor."""
    table = outcomes(otherwise, anon=anon)
    for actor in actors:
        table[actor] = status
    return table


CITY = ("city_admin", "city_office", "city_leader")
A_UNIT_LEVEL = ("a_admin", "a_office", "a_leader")
B_UNIT_LEVEL = ("b_admin", "b_office", "b_leader")
A_ALL = (*A_UNIT_LEVEL, "a_liaison")
B_ALL = (*B_UNIT_LEVEL, "b_liaison")


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases


__all__ = [
    "A_ALL",
    "A_UNIT_LEVEL",
    "B_ALL",
    "B_UNIT_LEVEL",
    "CITY",
    "EXCLUDED_NAMESPACES",
    "Case",
    "all_cases",
    "only",
    "outcomes",
]
