"""The save rate limit's arithmetic, on a fake clock (seconds passed in by hand)."""

import pytest

from mnist_core.classroom.ratelimit import (
    SAVE_BURST,
    SAVE_EVERY_SECONDS,
    ClientBuckets,
    TokenBucket,
)


def test_a_burst_of_ten_is_allowed_at_once_and_the_eleventh_waits_one_interval():
    bucket = TokenBucket()
    assert [bucket.take(100.0) for _ in range(SAVE_BURST)] == [0.0] * SAVE_BURST
    assert bucket.take(100.0) == pytest.approx(SAVE_EVERY_SECONDS)


def test_after_the_burst_one_save_is_earned_back_every_interval():
    bucket = TokenBucket(burst=10, every_seconds=3.0)
    for _ in range(10):
        bucket.take(0.0)
    assert bucket.take(1.0) == pytest.approx(2.0)  # a third of the way to the next one
    assert bucket.take(3.0) == 0.0
    assert bucket.take(3.0) == pytest.approx(3.0)
    assert [bucket.take(t) for t in (6.0, 9.0, 12.0)] == [0.0, 0.0, 0.0]


def test_a_refused_save_is_not_counted_so_the_wait_it_names_is_enough():
    bucket = TokenBucket(burst=1, every_seconds=4.0)
    bucket.take(0.0)
    for now in (0.5, 1.0, 2.0, 3.9):  # tapping again and again while waiting
        assert bucket.take(now) == pytest.approx(4.0 - now)
    assert bucket.take(4.0) == 0.0


def test_a_long_pause_refills_the_burst_but_never_beyond_it():
    bucket = TokenBucket(burst=3, every_seconds=2.0)
    for _ in range(3):
        bucket.take(0.0)
    assert [bucket.take(1000.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(1000.0) == pytest.approx(2.0)


@pytest.mark.parametrize("pace", [3.0, 4.0, 10.0])
def test_a_student_saving_every_few_seconds_never_waits(pace):
    bucket = TokenBucket()
    assert all(bucket.take(n * pace) == 0.0 for n in range(500))


def test_a_clock_that_steps_back_earns_nothing():
    bucket = TokenBucket(burst=1, every_seconds=3.0)
    bucket.take(10.0)
    assert bucket.take(5.0) == pytest.approx(3.0)
    assert bucket.take(8.0) == 0.0  # 3 s after the latest reading


@pytest.mark.parametrize("settings", [{"burst": 0}, {"burst": 2.5}, {"every_seconds": 0.0},
                                      {"every_seconds": float("nan")}])
def test_impossible_settings_are_refused_with_a_sentence(settings):
    with pytest.raises(ValueError, match="Expected"):
        TokenBucket(**settings)


def test_tabs_of_one_device_share_its_pace_and_other_devices_keep_theirs():
    """Four sessions in turn saved 40 drawings in 15 s where one session got 13: the pace is
    the device's now, so four tabs get what one does."""
    buckets = ClientBuckets()
    saved = sum(buckets.take("10.0.0.7", seconds * 0.25) == 0.0  # 4 tabs, each every second
                for seconds in range(61))  # 0 to 15 s
    assert saved == SAVE_BURST + int(15 / SAVE_EVERY_SECONDS)
    assert buckets.take("10.0.0.8", 15.0) == 0.0  # the next student is not held up


def test_a_server_remembers_a_bounded_number_of_devices():
    buckets = ClientBuckets(max_clients=50)
    for device in range(500):
        buckets.take(f"device {device}", float(device))
    assert len(buckets._buckets) <= 50
