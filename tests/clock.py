"""The test suite's one clock.

Two uses, both through ``time-machine`` (it moves ``time.time`` and ``datetime.now`` but leaves the
monotonic clock alone, so sleeps, timeouts and event loops run at real speed):

- **Fixed**: tests that replay a cassette run on a clock that starts at :data:`CASSETTE_EPOCH` and
  ticks from there. The cassettes were recorded on that clock, so the dates in them (order dates,
  token expiries, signature timestamps) stand in the same relation to "now" on every replay,
  whatever the wall-clock date is.
- **Shifted**: ``pytest --clock-shift-days N`` (``.ci/run`` uses 60) moves the whole session N days
  ahead, so a test that depends on today's date fails the day it is written.

The processes a test starts see the same clock: Python children through the ``sitecustomize`` in
``tests/clockshift/`` (it reads :data:`OFFSET_ENV`), PHP children through libfaketime
(:func:`php_env`; Debian's ``faketime``). libfaketime is not used for Python: it breaks
``time.sleep`` when the monotonic clock is left alone, and slows everything when it is not.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine

# The instant every cassette's clock starts at (they were recorded on it).
CASSETTE_EPOCH = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
OFFSET_ENV = "PRINTGATE_TEST_CLOCK_OFFSET_S"
SITE_DIR = Path(__file__).resolve().parent / "clockshift"

_session_travel: time_machine.travel | None = None


def offset_s() -> float:
    """Seconds between the clock the tests see and the real one (0 when neither is moved)."""
    if not time_machine.escape_hatch.is_travelling():
        return 0.0
    return time.time() - time_machine.escape_hatch.time.time()


def _export(offset: float) -> None:
    """Hand the offset to child processes through the environment they inherit."""
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SITE_DIR)]
    if abs(offset) < 0.001:
        os.environ.pop(OFFSET_ENV, None)
        os.environ.pop("FAKETIME", None)
    else:
        os.environ[OFFSET_ENV] = f"{offset:.6f}"
        os.environ["FAKETIME"] = f"{offset:+.6f}"  # libfaketime: a relative offset in seconds
        os.environ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        parts.insert(0, str(SITE_DIR))
    if parts:
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    else:
        os.environ.pop("PYTHONPATH", None)


def start_session_shift(days: float) -> None:
    """Move the whole test session ``days`` ahead (``--clock-shift-days``)."""
    global _session_travel
    if not days:
        return
    # From the real time: a pytest-xdist worker starts already shifted by its parent (the
    # sitecustomize), and ``now + days`` would move it twice as far.
    real_now = time_machine.escape_hatch.time.time() if time_machine.escape_hatch.is_travelling() else time.time()
    _session_travel = time_machine.travel(real_now + timedelta(days=days).total_seconds(), tick=True)
    _session_travel.start()
    _export(offset_s())  # its first reading: time-machine's ticking clock starts here


def stop_session_shift() -> None:
    global _session_travel
    if _session_travel is not None:
        _session_travel.stop()
        _session_travel = None
        _export(0.0)


@contextmanager
def fixed_clock(at: datetime = CASSETTE_EPOCH) -> Iterator[None]:
    """Run on a clock that starts at ``at`` and ticks from there, in this process and its children."""
    outer = offset_s()
    with time_machine.travel(at, tick=True):
        _export(offset_s())
        try:
            yield
        finally:
            _export(outer)


def on_cassette_clock() -> bool:
    """True inside :func:`fixed_clock` at :data:`CASSETTE_EPOCH` (a cassette replays only there)."""
    return time_machine.escape_hatch.is_travelling() and abs(time.time() - CASSETTE_EPOCH.timestamp()) < 6 * 3600


def libfaketime() -> str:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found:
        raise RuntimeError("libfaketime is missing: install Debian's 'faketime' (scripts/apt-packages.txt has it)")
    return found[0]


def php_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a PHP child process, on the tests' clock."""
    result = dict(os.environ if env is None else env)
    offset = offset_s()
    result.pop("LD_PRELOAD", None)
    if abs(offset) >= 0.001:
        result.update({"LD_PRELOAD": libfaketime(), "FAKETIME": f"{offset:+.6f}",
                       "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    return result
