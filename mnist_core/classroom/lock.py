"""The teacher's lock without any UI: the password check and how long a client must wait
after wrong passwords.

Students can draw, save and look; only a session unlocked with the teacher's password may
train, stop, use, delete or download runs, or delete and import drawings. This module holds
the arithmetic: passwords are compared in constant time, a session that unlocked keeps only
an HMAC of the password under a key that lives and dies with the server process, and wrong
passwords are counted where a new tab cannot reset them (`PasswordGuard`, one per server):

- per client (its network address): each wrong password doubles the wait before the next
  try (1, 2, 4, ... s, at most `MAX_WAIT`), however many tabs or connections it opens;
- for the whole server: at most `SERVER_BURST` tries at once, then one every
  `SERVER_EVERY_SECONDS`, so many devices together guess no faster.

A student typing wrong passwords slows only their own device; the teacher's waits at most
`SERVER_EVERY_SECONDS` when the whole server's tries run out.
Times are plain floats from a monotonic clock the caller passes in, so tests use a fake one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

from mnist_core.classroom.ratelimit import TokenBucket

__all__ = [
    "MAX_WAIT",
    "PASSWORD_ENV",
    "SECRET_NAME",
    "SERVER_BURST",
    "SERVER_EVERY_SECONDS",
    "WRONG_WAIT",
    "Attempts",
    "PasswordGuard",
    "Refusal",
    "password_matches",
    "seal",
    "wait_after",
]

PASSWORD_ENV = "MNIST_TEACHER_PASSWORD"
SECRET_NAME = "teacher_password"  # in .streamlit/secrets.toml
WRONG_WAIT = 1.0  # s: every wrong password is answered only after this wait
MAX_WAIT = 60.0  # s: the longest a client must wait before its next try
SERVER_BURST = 10  # password tries the whole server takes at once
SERVER_EVERY_SECONDS = 6.0  # s: then one more try, from any client (600 an hour at most)
FORGET_AFTER = 900.0  # s: a client's wrong passwords count this long after its wait ends
MAX_CLIENTS = 10_000  # clients remembered at most; the oldest are forgotten first

# Random per server process: a sealed password kept in a session means nothing elsewhere,
# and a restart locks every session again.
_PROCESS_KEY = secrets.token_bytes(32)


def seal(password: str) -> bytes:
    """An HMAC-SHA256 of `password` under this process's random key (32 bytes): what a
    session keeps to remember that it unlocked, instead of the password itself."""
    return hmac.new(_PROCESS_KEY, password.encode("utf-8"), hashlib.sha256).digest()


def password_matches(given: str, password: str) -> bool:
    """Whether `given` is `password`, in time that does not depend on where they differ
    (their HMACs are compared with `hmac.compare_digest`, so neither length leaks either)."""
    return hmac.compare_digest(seal(given), seal(password))


def wait_after(failures: int) -> float:
    """Seconds from a session's `failures`-th wrong password in a row to the next one it may
    try: 1 s after the first (the second the answer takes, `WRONG_WAIT`), doubling each
    time, at most `MAX_WAIT`. 0 for no failures."""
    if failures < 1:
        return 0.0
    # The exponent is capped before the power: 2.0 ** 10_000 overflows a float.
    return min(WRONG_WAIT * 2.0 ** min(failures - 1, 64), MAX_WAIT)


@dataclass(frozen=True)
class Attempts:
    """One session's wrong passwords in a row.

    failures: wrong passwords since the last right one, >= 0.
    retry_at: clock time (s, the caller's monotonic clock) before which no password is
        checked; 0 when the session may try at once.
    """

    failures: int = 0
    retry_at: float = 0.0

    def seconds_to_wait(self, now: float) -> float:
        """Seconds until a password may be checked again, 0 when it may be now."""
        return max(0.0, self.retry_at - now)

    def failed(self, now: float) -> Attempts:
        """These attempts after one more wrong password, tried at time `now`."""
        failures = self.failures + 1
        return Attempts(failures, now + wait_after(failures))


class Refusal(NamedTuple):
    """Why a password is not checked now: `seconds` (> 0) to wait, and whether the limit
    is the whole server's (`whole_server`) or this client's own wrong passwords."""

    seconds: float
    whole_server: bool


@dataclass
class PasswordGuard:
    """Wrong passwords counted per client and for the whole server, shared by every session
    and thread of a server process (one instance per process; it locks itself).

    Each try is counted as wrong before the password is checked (`try_now`), and forgiven by
    `succeeded`: so tries sent at the same moment from many tabs of one client are still
    slowed one after another.

    Attributes:
        server_burst: tries the whole server takes at once, >= 1.
        server_every_seconds: seconds in which the server earns one more try back, > 0.
        forget_after: seconds after a client's wait ends that its wrong passwords are
            forgotten, >= 0.
        max_clients: clients remembered at most (the oldest waits are dropped first), >= 1.
    """

    server_burst: int = SERVER_BURST
    server_every_seconds: float = SERVER_EVERY_SECONDS
    forget_after: float = FORGET_AFTER
    max_clients: int = MAX_CLIENTS
    _clients: dict[str, Attempts] = field(default_factory=dict, init=False, repr=False)
    _server: TokenBucket = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._server = TokenBucket(self.server_burst, self.server_every_seconds)

    def try_now(self, client: str, now: float) -> Refusal | None:
        """Whether a password from `client` (its address) may be checked at clock time `now`.

        Returns None when it may: the try is then counted as wrong (call `succeeded` when it
        was right). Otherwise a `Refusal` saying how long to wait; a refused try is not
        counted, so waiting that long is enough.
        """
        with self._lock:
            attempts = self._attempts(client, now)
            if wait := attempts.seconds_to_wait(now):
                return Refusal(wait, whole_server=False)
            if wait := self._server.take(now):
                return Refusal(wait, whole_server=True)
            self._clients[client] = attempts.failed(now)
            self._forget(now)
            return None

    def succeeded(self, client: str) -> None:
        """The password `client` just tried was right: its wrong passwords are forgotten."""
        with self._lock:
            self._clients.pop(client, None)

    def attempts(self, client: str, now: float) -> Attempts:
        """`client`'s wrong passwords in a row at clock time `now` (the try in progress
        counted as one)."""
        with self._lock:
            return self._attempts(client, now)

    def _attempts(self, client: str, now: float) -> Attempts:
        attempts = self._clients.get(client, Attempts())
        if attempts.failures and now >= attempts.retry_at + self.forget_after:
            return Attempts()
        return attempts

    def _forget(self, now: float) -> None:
        """Drop clients whose wrong passwords are forgotten; then, over `max_clients`, the
        ones whose waits ended first."""
        if len(self._clients) <= self.max_clients:
            return
        for client, attempts in list(self._clients.items()):
            if now >= attempts.retry_at + self.forget_after:
                del self._clients[client]
        excess = len(self._clients) - self.max_clients
        if excess > 0:
            oldest = sorted(self._clients, key=lambda client: self._clients[client].retry_at)
            for client in oldest[:excess]:
                del self._clients[client]
