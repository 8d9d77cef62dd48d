"""The client's address: X-Forwarded-For is believed only when the peer is a proxy we run."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, unless it is one of ARENA_TRUSTED_PROXIES: then the last forwarded hop
    that is not one of ours (anything left of it was written by the client and may be forged)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = set(settings.ARENA_TRUSTED_PROXIES)
    if remote not in trusted:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return remote
