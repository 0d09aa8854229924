"""The teacher's lock without any UI: the password check and how long a session must wait
after wrong passwords.

Students can draw, save and look; only a session unlocked with the teacher's password may
train, stop, use, delete or download runs, or delete and import drawings. This module holds
the arithmetic: passwords are compared in constant time, a session that unlocked keeps only
an HMAC of the password under a key that lives and dies with the server process, and wrong
passwords make the session wait longer and longer (1, 2, 4, ... s, at most `MAX_WAIT`).
Times are plain floats from a monotonic clock the caller passes in, so tests use a fake one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = [
    "MAX_WAIT",
    "PASSWORD_ENV",
    "SECRET_NAME",
    "WRONG_WAIT",
    "Attempts",
    "password_matches",
    "seal",
    "wait_after",
]

PASSWORD_ENV = "MNIST_TEACHER_PASSWORD"
SECRET_NAME = "teacher_password"  # in .streamlit/secrets.toml
WRONG_WAIT = 1.0  # s: every wrong password is answered only after this wait
MAX_WAIT = 60.0  # s: the longest a session must wait before its next try

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
