"""The outbox dispatcher: a small loop of its own, beside the workers, never behind gradings.

Every few seconds it re-queues the runs of lost workers (heartbeat older than the lease) and
sends every queued row the broker has not accepted (an upload made while the broker was down,
a retry whose message could not be published); after a broker restart, every queued row. It reads and writes only the database and the
broker, so any number of dispatchers may run: the claim makes a duplicate message harmless.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import DatabaseError, close_old_connections

from submissions import pipeline
from submissions.broker_epoch import BrokerEpoch

log = logging.getLogger(__name__)


def dispatch_once(epoch: BrokerEpoch | None = None) -> list[int]:
    """One round; returns the ids it sent. A broker that is still down leaves them queued;
    one that came back empty gets every queued row again."""
    current = epoch.look() if epoch else None
    restarted = epoch is not None and epoch.restarted(current)
    if restarted:
        log.warning("the broker restarted: sending every queued submission again")
    sent = pipeline.recover_stalled(resend_all_queued=restarted)
    if epoch is not None:
        epoch.remember(current)
    return sent


def run(interval_s: float, stop: threading.Event | None = None) -> None:
    """Rounds until ``stop`` is set; a failing database or broker is logged, never fatal."""
    stop = stop or threading.Event()
    epoch = BrokerEpoch()
    log.info("outbox dispatcher started: a round every %.1f s", interval_s)
    while not stop.is_set():
        started = time.monotonic()
        try:
            sent = dispatch_once(epoch)
            if sent:
                log.info("dispatched submissions %s", sent)
        except DatabaseError as exc:
            log.warning(
                "dispatcher: database unavailable (%s); next round in %.1f s", exc, interval_s
            )
        finally:
            # A restarted database leaves dead connections behind; drop them between rounds.
            close_old_connections()
        stop.wait(max(0.0, interval_s - (time.monotonic() - started)))
