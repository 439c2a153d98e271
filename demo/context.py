from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoContext:
    """What earlier seeders made, for later ones: organisations by code, users by username, and the logins."""

    organizations: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    logins: list[dict[str, Any]] = field(default_factory=list)
    # Free-form place for an app's seeder to leave objects for the apps above it (e.g. "campaigns").
    extra: dict[str, Any] = field(default_factory=dict)
