"""Benchmark: the store packages in the real platforms, install + connect + order -> files on the admin
order page, per step, wall and CPU seconds.

    .venv/bin/python bench/real_stores.py [--platform woocommerce] [--runs 1]

Runs the end-to-end tests of tests/stores (marker ``real_store``: MariaDB, ``php -S``, ``printgate
serve`` and headless Chromium, all started on loopback by the tests), which record each step into
``bench/results/real_stores.json`` (tests/stores/conftest.py ``StepClock``), then prints that table.
The peer in the same run is the platform itself: its own install (WP-CLI / the platform's installer)
is the first row of each platform, timed the same way as printgate's steps after it. The pytest
process's wall time is printed too: what the platform's tests add to CI.

CPU seconds are this process's and its finished children's (php-cli installs, WP-CLI); the
long-running servers (php -S, MariaDB, printgate) are not in them. A benchmark, not a test: it prints
figures and asserts nothing. A copy of the table goes to ``bench/results/real_stores-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "real_stores.json"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(platform: str | None) -> tuple[float, float, int]:
    targets = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "stores").glob(
        f"test_{platform}*.py" if platform else "test_*.py"))
    if not targets:
        raise SystemExit(f"no tests/stores/test_{platform}*.py")
    wall, cpu = time.monotonic(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                           "-m", "real_store", *targets], cwd=ROOT)
    return time.monotonic() - wall, _children_cpu() - cpu, done.returncode


def table(started: str, runs: list[tuple[float, float, int]]) -> str:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    lines = []
    for platform, row in sorted(data.items()):
        fresh = row.get("at", "") >= started
        lines.append(f"\n{platform}{'' if fresh else '  (not from this run: ' + row.get('at', '?') + ')'}")
        lines.append(f"  {'step':<78} {'wall s':>8} {'cpu s':>8}")
        for step in row["steps"]:
            lines.append(f"  {step['step'][:78]:<78} {step['wall_s']:>8.2f} {step['cpu_s']:>8.2f}")
        first = row["steps"][0] if row["steps"] else {"wall_s": 0.0, "cpu_s": 0.0}
        ours = row["total_wall_s"] - first["wall_s"]
        lines.append(f"  {'total':<78} {row['total_wall_s']:>8.2f} {row['total_cpu_s']:>8.2f}")
        lines.append(f"  peer (the platform's own install): {first['wall_s']:.2f} s wall, {first['cpu_s']:.2f} s CPU;"
                     f" printgate's steps after it: {ours:.2f} s wall")
    for index, (wall, cpu, code) in enumerate(runs, 1):
        lines.append(f"\npytest run {index}: {wall:.1f} s wall (CI time added), {cpu:.1f} s CPU of finished children,"
                     f" exit {code}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", help="only tests/stores/test_<platform>*.py (e.g. woocommerce)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    runs = [run(args.platform) for _ in range(max(1, args.runs))]
    print(table(started, runs))
    if RESULTS.exists():
        shutil.copy(RESULTS, RESULTS.with_name(f"real_stores-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
