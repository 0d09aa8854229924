"""How often one client may save drawings: a token bucket, a burst at once then a steady pace.

A student teaching the model draws a digit (1-3 s with a finger or a mouse), looks at the
answer, taps Right or picks the digit, and draws the next one: at least about 3 s a saved
drawing, usually more. So a client (a device, by its network address) may save SAVE_BURST
drawings at once (a few quick corrections in a row never wait) and then one every
SAVE_EVERY_SECONDS, which a real pace never reaches; a script or a student tapping as fast as
they can is held to 20 a minute, however many tabs they open (`ClientBuckets`, one per
server), so one student cannot flood the class's store.

The clock is passed in (seconds from any monotonic clock), so tests run on a fake one.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

__all__ = ["SAVE_BURST", "SAVE_EVERY_SECONDS", "ClientBuckets", "TokenBucket"]

SAVE_BURST = 10
"""Saves one session may make at once."""
SAVE_EVERY_SECONDS = 3.0
"""Seconds in which one more save is earned back, up to SAVE_BURST."""


@dataclass
class TokenBucket:
    """Allows `burst` actions at once, then one every `every_seconds`.

    Attributes:
        burst: most actions allowed at once (the bucket's size), at least 1.
        every_seconds: seconds to earn one action back, > 0.
        tokens: actions allowed now, in [0, burst]; starts full.
        updated_at: the clock reading (seconds) `tokens` was counted at; None before first use.
    """

    burst: int = SAVE_BURST
    every_seconds: float = SAVE_EVERY_SECONDS
    tokens: float | None = None
    updated_at: float | None = None

    def __post_init__(self) -> None:
        if int(self.burst) != self.burst or self.burst < 1:
            raise ValueError(f"Expected burst to be an integer of at least 1. "
                             f"Received: burst={self.burst}")
        if not (math.isfinite(self.every_seconds) and self.every_seconds > 0):
            raise ValueError(f"Expected every_seconds to be a positive number of seconds. "
                             f"Received: every_seconds={self.every_seconds}")
        if self.tokens is None:
            self.tokens = float(self.burst)

    def take(self, now: float) -> float:
        """Count one action at clock reading `now` (seconds), if it is allowed.

        Returns: 0.0 when allowed (and counted); else the seconds until one is allowed, > 0
        (a refused action is not counted, so waiting that long is always enough).
        """
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:  # rounding must not refuse one who waited as told
            self.tokens = max(self.tokens - 1.0, 0.0)
            return 0.0
        return (1.0 - self.tokens) * self.every_seconds

    def _refill(self, now: float) -> None:
        if self.updated_at is not None:
            elapsed = max(now - self.updated_at, 0.0)  # a clock that steps back earns nothing
            self.tokens = min(float(self.burst), self.tokens + elapsed / self.every_seconds)
        self.updated_at = now


@dataclass
class ClientBuckets:
    """One `TokenBucket` per client (a device's network address), shared by every session and
    thread of a server process: a client's new tabs share its bucket. It locks itself.

    Attributes:
        burst, every_seconds: each client's bucket, as in `TokenBucket`.
        max_clients: buckets kept at most, >= 1; beyond it, full ones (clients idle long
            enough to have earned their whole burst back) are dropped, then the oldest.
    """

    burst: int = SAVE_BURST
    every_seconds: float = SAVE_EVERY_SECONDS
    max_clients: int = 10_000
    _buckets: dict[str, TokenBucket] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        TokenBucket(self.burst, self.every_seconds)  # checks the settings

    def take(self, client: str, now: float) -> float:
        """`TokenBucket.take` on `client`'s bucket: 0.0 when allowed (and counted), else the
        seconds until one is allowed."""
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                self._make_room(now)
                bucket = self._buckets[client] = TokenBucket(self.burst, self.every_seconds)
            return bucket.take(now)

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self.max_clients:
            return
        refilled = self.burst * self.every_seconds
        for client, bucket in list(self._buckets.items()):
            if bucket.updated_at is None or now - bucket.updated_at >= refilled:
                del self._buckets[client]
        while len(self._buckets) >= self.max_clients:
            oldest = min(self._buckets, key=lambda client: self._buckets[client].updated_at)
            del self._buckets[oldest]
