"""The year-end archive PDF (年度台账档案) of a campaign: content, chunked rendering, the fetcher, and the hooks.

The ledger never imports evaluation or volunteers. They add to the archive through two hooks, registered from
their own `archive.py` modules (found by `discover()`, the way jobs finds `jobs.py`):

    from ledger.archive import Appendix, Table, register_appendix, register_chapters
    register_appendix("volunteers", volunteer_appendix, order=20)
    register_chapters(chapters_by_criteria)

An appendix provider is `fn(*, campaign, year, unit) -> Appendix | None`; a chapters provider is
`fn(*, campaign, event_ids) -> list[Chapter] | None` (None: it has nothing for this campaign, chapters by category).
Providers return plain data; the ledger's templates render it with autoescape on, so no provider writes HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Appendix:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Section:
    """A 测评指标 (or a category): the dossiers filed under it, in order; duplicates are resolved by the ledger."""

    title: str
    event_ids: list[int]


@dataclass
class Chapter:
    """A 测评项目 (or one chapter of categories)."""

    title: str
    sections: list[Section]


AppendixProvider = Callable[..., Appendix | None]
ChaptersProvider = Callable[..., list[Chapter] | None]

_APPENDICES: dict[str, tuple[int, AppendixProvider]] = {}
_CHAPTERS: list[ChaptersProvider] = []
_discovered = False


def register_appendix(name: str, provider: AppendixProvider, *, order: int = 50) -> None:
    """Add an appendix (idempotent per name: registering again replaces it)."""
    _APPENDICES[name] = (order, provider)


def register_chapters(provider: ChaptersProvider) -> None:
    """Add a chapters provider; the first that answers for a campaign decides the chapters."""
    if provider not in _CHAPTERS:
        _CHAPTERS.append(provider)


def discover() -> None:
    """Import every installed app's `archive` module once (they register their hooks on import)."""
    global _discovered
    if _discovered:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("archive")
    _discovered = True


def appendix_providers() -> list[tuple[str, AppendixProvider]]:
    discover()
    return [(name, fn) for name, (_order, fn) in sorted(_APPENDICES.items(), key=lambda kv: (kv[1][0], kv[0]))]


def chapters_providers() -> list[ChaptersProvider]:
    discover()
    return list(_CHAPTERS)
