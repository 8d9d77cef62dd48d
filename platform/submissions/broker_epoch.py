"""Tells when the broker came back empty: a Redis that restarted without persistence lost every
message it held, so everything queued must be sent again at once (not after the resend delay).

Redis names each server run (`run_id` in INFO); a new name means a new process. Other brokers
(kombu's filesystem transport keeps its messages on disk) have no epoch to watch.
"""

from __future__ import annotations

from django.conf import settings


class BrokerEpoch:
    """The broker run last dealt with; `remember` only after a round that resent succeeded,
    so a restart seen while the database is down is acted on in a later round."""

    def __init__(self) -> None:
        self.seen: str | None = None

    def look(self) -> str | None:
        """The broker's current run, None while it is down (or has no epoch)."""
        return _redis_run_id()

    def restarted(self, current: str | None) -> bool:
        return current is not None and self.seen is not None and current != self.seen

    def remember(self, current: str | None) -> None:
        if current is not None:
            self.seen = current


def _redis_run_id() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        return str(client.info("server")["run_id"])
    except (redis.RedisError, KeyError):
        return None
