"""The client's address, as seen through the configured number of trusted reverse proxies.

Behind a proxy every request reaches Django from the proxy, so REMOTE_ADDR is the same for everyone. Each proxy
appends the address it received the request from to X-Forwarded-For, so with N trusted proxies the client is the
N-th entry from the right: REMOTE_ADDR is the last proxy, the N-1 entries right of the client were written by the
inner proxies. Everything further left was written by the client itself and is not trusted.

`TRUSTED_PROXY_COUNT = 0` (the default) ignores the header: nothing in front of Django may be forged into a lock-out
key. django-axes reads the address through `AXES_CLIENT_IP_CALLABLE` (config/settings/base.py).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    address = address.strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's IP address; REMOTE_ADDR when no proxy is trusted or the header does not fit the proxy chain."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        # Fewer hops than proxies: the request did not come through all of them (or the proxy is misconfigured).
        return remote
    return _valid(hops[-count]) or remote
