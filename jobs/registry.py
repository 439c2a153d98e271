"""The job kinds: each app registers its handlers here, so this app never imports them.

    from jobs.registry import register
    register("ledger_zip", build_zip, label="年度台账 ZIP")

A handler is `handler(ctx: JobContext) -> JobResult`; it reads `ctx.job.params`, calls `ctx.progress(pct, step)`
between steps and returns the file it produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import JobContext


@dataclass(frozen=True)
class JobResult:
    """What a handler produced: the bytes, or a path on disk (moved into storage, then deleted), and the name."""

    filename: str
    content: bytes | None = None
    path: Path | str | None = None
    content_type: str = "application/octet-stream"

    def __post_init__(self) -> None:
        if (self.content is None) == (self.path is None):
            raise ValueError("JobResult needs exactly one of content and path")


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Callable[[JobContext], JobResult]
    label: str
    queue: str = "default"
    max_attempts: int = 3


_KINDS: dict[str, JobKind] = {}


def register(
    name: str,
    handler: Callable[[JobContext], JobResult],
    *,
    label: str,
    queue: str = "default",
    max_attempts: int = 3,
) -> JobKind:
    """Register a job kind (idempotent for the same handler; a different handler under a taken name is an error)."""
    existing = _KINDS.get(name)
    if existing is not None and existing.handler is not handler:
        raise ValueError(f"job kind {name!r} is already registered by {existing.handler!r}")
    kind = JobKind(name=name, handler=handler, label=label, queue=queue, max_attempts=max_attempts)
    _KINDS[name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"unknown job kind {name!r}") from None


def kinds() -> dict[str, JobKind]:
    return dict(_KINDS)
