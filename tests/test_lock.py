"""mnist_core.classroom.lock: the teacher's password check and the waits after wrong ones, on a fake
clock (plain floats: the module never reads a clock itself)."""

import ast

import pytest

from mnist_core.classroom.lock import (
    MAX_WAIT,
    SERVER_BURST,
    SERVER_EVERY_SECONDS,
    WRONG_WAIT,
    Attempts,
    PasswordGuard,
    password_matches,
    seal,
    wait_after,
)
from tests.conftest import PROJECT


@pytest.mark.parametrize(
    ("given", "password", "matches"),
    [("s3cret", "s3cret", True),
     ("s3cre", "s3cret", False),  # a prefix
     ("s3cret ", "s3cret", False),
     ("S3CRET", "s3cret", False),
     ("", "s3cret", False),
     ("élève", "élève", True),  # not ASCII
     ("x" * 10_000, "x" * 10_000, True)],
)
def test_a_password_matches_only_itself(given, password, matches):
    assert password_matches(given, password) is matches


def test_the_seal_is_a_digest_that_does_not_contain_the_password():
    sealed = seal("s3cret")
    assert isinstance(sealed, bytes) and len(sealed) == 32
    assert b"s3cret" not in sealed
    assert sealed == seal("s3cret") and sealed != seal("s3creT")


def test_the_check_compares_in_constant_time():
    """Read the code: the comparison is hmac.compare_digest, not ==."""
    source = (PROJECT / "mnist_core" / "classroom" / "lock.py").read_text()
    tree = ast.parse(source)
    called = {node.func.attr for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert "compare_digest" in called


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 32.0), (7, MAX_WAIT),
     (50, MAX_WAIT), (10_000, MAX_WAIT)],
)
def test_each_wrong_password_in_a_row_doubles_the_wait_up_to_a_cap(failures, seconds):
    assert wait_after(failures) == seconds


def test_the_first_wrong_password_costs_only_the_second_its_answer_takes():
    assert wait_after(1) == WRONG_WAIT
    attempts = Attempts().failed(now=100.0)
    assert attempts.seconds_to_wait(100.0 + WRONG_WAIT) == 0.0


def test_a_session_is_slowed_further_by_each_failure_on_a_fake_clock():
    clock = 1000.0
    attempts = Attempts()
    assert attempts.seconds_to_wait(clock) == 0.0
    waits = []
    for _ in range(8):
        clock += attempts.seconds_to_wait(clock)  # a guesser who tries as soon as allowed
        attempts = attempts.failed(clock)
        waits.append(attempts.seconds_to_wait(clock))
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, MAX_WAIT, MAX_WAIT]
    assert attempts.failures == 8
    # Half-way through a wait, half of it is left; after it, none.
    assert attempts.seconds_to_wait(clock + MAX_WAIT / 2) == MAX_WAIT / 2
    assert attempts.seconds_to_wait(clock + MAX_WAIT) == 0.0


def test_a_hundred_guesses_take_over_an_hour():
    clock, attempts = 0.0, Attempts()
    for _ in range(100):
        clock += attempts.seconds_to_wait(clock)
        attempts = attempts.failed(clock)
    assert clock > 3600


# The guard: wrong passwords counted per device and for the whole server ------------------


def test_tries_from_many_tabs_of_one_device_at_the_same_moment_are_checked_one_at_a_time():
    import threading

    guard = PasswordGuard()
    results, start = [], threading.Barrier(8)

    def one_tab():
        start.wait()
        results.append(guard.try_now("10.0.0.7", 100.0))

    tabs = [threading.Thread(target=one_tab) for _ in range(8)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert results.count(None) == 1
    assert all(refusal.seconds == WRONG_WAIT and not refusal.whole_server
               for refusal in results if refusal is not None)


def guess_as_fast_as_allowed(guard: PasswordGuard, clients: list[str], seconds: float,
                             step: float = 0.5) -> int:
    """Wrong passwords checked in `seconds` when every client tries every `step` s."""
    checked, now = 0, 0.0
    while now < seconds:
        checked += sum(guard.try_now(client, now) is None for client in clients)
        now += step
    return checked


def test_a_new_connection_does_not_start_a_device_afresh():
    """Eight connections from one device made 47 guesses in 20 s when the wait was kept per
    session; counted per device they get as many as one connection does."""
    guard = PasswordGuard()
    assert guess_as_fast_as_allowed(guard, ["10.0.0.7"] * 8, 20.0) == 5  # at 0, 1, 3, 7, 15 s
    assert guess_as_fast_as_allowed(PasswordGuard(), ["10.0.0.7"], 20.0) == 5


def test_many_devices_together_are_held_to_the_servers_pace():
    devices = [f"10.0.1.{number}" for number in range(40)]
    checked = guess_as_fast_as_allowed(PasswordGuard(), devices, 600.0)
    assert checked <= SERVER_BURST + 600 / SERVER_EVERY_SECONDS + 1


def test_a_student_guessing_does_not_keep_the_teacher_out_for_long():
    guard = PasswordGuard()
    for tries in range(30):  # a student on a phone, a try a second for half a minute
        guard.try_now("10.0.0.7", float(tries))
    assert guard.try_now("this computer", 30.0) is None  # the teacher, at once
    guard.succeeded("this computer")
    # Many devices that used up the server's tries: the teacher waits one interval at most.
    for device in range(SERVER_BURST + 5):
        guard.try_now(f"10.0.2.{device}", 31.0)
    refusal = guard.try_now("this computer", 31.0)
    assert refusal.whole_server and refusal.seconds <= SERVER_EVERY_SECONDS
    assert guard.try_now("this computer", 31.0 + refusal.seconds) is None


def test_the_right_password_forgives_the_device_and_old_failures_are_forgotten():
    guard = PasswordGuard(forget_after=900.0)
    now = 0.0
    for _ in range(5):
        now += guard.attempts("10.0.0.7", now).seconds_to_wait(now)
        assert guard.try_now("10.0.0.7", now) is None
    assert guard.attempts("10.0.0.7", now).failures == 5
    guard.succeeded("10.0.0.7")
    assert guard.attempts("10.0.0.7", now).failures == 0
    guard.try_now("10.0.0.8", now)
    later = now + 1.0 + 900.0
    assert guard.attempts("10.0.0.8", later).failures == 0


def test_the_guard_remembers_a_bounded_number_of_devices():
    guard = PasswordGuard(max_clients=100, server_burst=10**6)
    for device in range(1000):
        guard.try_now(f"device {device}", float(device))
    assert len(guard._clients) <= 100
    assert guard.attempts("device 999", 999.0).failures == 1  # the newest are kept
