"""mnist_core.lock: the teacher's password check and the waits after wrong ones, on a fake
clock (plain floats: the module never reads a clock itself)."""

import ast

import pytest

from mnist_core.lock import MAX_WAIT, WRONG_WAIT, Attempts, password_matches, seal, wait_after
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
    source = (PROJECT / "mnist_core" / "lock.py").read_text()
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
