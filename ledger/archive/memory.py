"""Memory of this process (and of other processes by pid), measured the way that survives fork + exec."""

from __future__ import annotations

import resource


def _status_mb(field: str, pid: int | str = "self") -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: after fork + exec Linux keeps the parent's
    high-water mark in it, so a child of a big process would report the parent's size."""
    value = _status_mb("VmHWM:")
    if value is not None:
        return value
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now (VmRSS) of this process or of `pid`; 0 when it is gone."""
    return _status_mb("VmRSS:", pid) or 0.0
