"""What the next ``printgate serve`` ends after a kill -9 of the last one: the recorded processes that
still run, never a zombie (a killed serve's children can stay unreaped; counting them made the start
wait out its grace period and report them as ended: the CI failure of the killed-serve test)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from printgate import process_tree


def _stat_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_the_next_start_ends_what_runs_and_names_zombies_as_exited(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    zombie = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    try:
        process_tree.record(tmp_path, {"redis": sleeper.pid, "api": zombie.pid})
        recorded = json.loads((tmp_path / process_tree.PIDS_FILE).read_text())
        assert recorded["api"]["start"] and recorded["redis"]["start"]
        deadline = time.monotonic() + 30
        while _stat_state(zombie.pid) != "Z":  # exited, not reaped: what init has not collected yet
            assert time.monotonic() < deadline, "the child never exited"
            time.sleep(0.05)
        began = time.monotonic()
        ended, exited = process_tree.end_leftovers(tmp_path, grace_s=5.0)
        assert (ended, exited) == (["redis"], ["api"])
        assert time.monotonic() - began < 4.0  # no grace period spent waiting on the zombie
        assert sleeper.wait(timeout=10) != 0  # ended by its SIGTERM
        assert not (tmp_path / process_tree.PIDS_FILE).exists()
    finally:
        for proc in (sleeper, zombie):
            if proc.poll() is None:
                proc.kill()
            proc.wait()
