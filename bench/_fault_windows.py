"""When printgate was down during a fault-injection run, and each webhook retry judged against it.

A retry that was due while printgate was down cannot be sent before it is back: judging it against
its due time alone calls a restart "late". So each fault's down window is recorded (from the kill
until ``/health`` answers 200 with every worker serve runs heartbeating again), and a retry is
judged against the later of its due time and the end of any window that struck before it was
overdue.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

BACKLOG = 20  # webhooks messages waiting: a late retry behind this many was held up by the queue


def _runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def back_up(url: str, pids: dict[str, int], gone: set[int]) -> bool:
    """printgate serves again: ``/health`` is 200, serve's record (``pids``) no longer names a killed
    process (``gone``), and every worker it names runs and heartbeats (a worker's name ends in its pid)."""
    workers = {name: pid for name, pid in pids.items() if name.startswith("worker")}
    if not workers or gone.intersection(pids.values()) or not all(_runs(pid) for pid in pids.values()):
        return False
    try:
        answer = httpx.get(f"{url}/health", timeout=2)
        if answer.status_code != 200:
            return False
        live = [str(w.get("name")) for w in answer.json().get("checks", {}).get("workers", {}).get("list", [])]
    except (httpx.HTTPError, ValueError, AttributeError):
        return False
    return all(any(name.endswith(f"-{pid}") for name in live) for pid in workers.values())


class DownWatch:
    """The down windows of a run: ``begin`` just before a fault, ``watch`` once it struck; a thread
    polls until printgate is back (or ``limit_s`` passed: the window stays open, ``end`` None)."""

    def __init__(self, url: str, read_pids: Callable[[], dict[str, int]], limit_s: float = 300.0) -> None:
        self.url = url
        self.read_pids = read_pids
        self.limit_s = limit_s
        self.windows: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def begin(self, fault: str, trial: int) -> dict[str, Any]:
        window: dict[str, Any] = {"fault": fault, "trial": trial, "start": time.monotonic(), "end": None,
                                  "gave_up": None}
        with self.lock:
            self.windows.append(window)
        return window

    def watch(self, window: dict[str, Any], gone: set[int]) -> None:
        def poll() -> None:
            deadline = window["start"] + self.limit_s
            while time.monotonic() < deadline:
                if back_up(self.url, self.read_pids(), gone):
                    window["end"] = time.monotonic()
                    return
                time.sleep(0.25)
            window["gave_up"] = time.monotonic()

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        self.threads.append(thread)

    def wait(self) -> None:
        for thread in self.threads:
            thread.join()

    def closed(self) -> list[tuple[float, float]]:
        """(start, end) of each window, in start order; one never closed ends where its watch gave up."""
        with self.lock:
            spans = [(w["start"], w["end"] if w["end"] is not None else (w["gave_up"] or time.monotonic()))
                     for w in self.windows]
        return sorted(spans)


def back_up_time(due: float, windows: Iterable[tuple[float, float]], tolerance_s: float) -> float:
    """The later of ``due`` and the end of the down windows that struck before the retry was overdue
    (started no later than ``due + tolerance_s``, or no later than that past the previous window's end,
    so back-to-back faults chain). ``windows`` in start order."""
    back = due
    for start, end in windows:
        if start <= back + tolerance_s and end > back:
            back = end
    return back


def judge_retries(arrivals: dict[str, list[float]], windows: list[tuple[float, float]], *, delay_s: float,
                  jitter: float, tolerance_s: float, slack_s: float = 0.5) -> dict[str, dict[str, Any]]:
    """Each event's first retry (its second POST; the first was refused): ``early`` before
    ``delay_s * (1 - jitter)`` (less ``slack_s`` for the two clocks' read-out), ``on_schedule`` within
    ``tolerance_s`` of the later of its latest due time and printgate's back-up time, else
    ``late`` (after recovery). ``after_recovery_s``: how long after that reference it came."""
    out: dict[str, dict[str, Any]] = {}
    for hook, at in arrivals.items():
        if len(at) < 2:
            continue
        first, retry = at[0], at[1]
        due = first + delay_s * (1 + jitter)
        back = back_up_time(due, windows, tolerance_s)
        if retry < first + delay_s * (1 - jitter) - slack_s:
            verdict = "early"
        elif retry <= back + tolerance_s:
            verdict = "on_schedule"
        else:
            verdict = "late"
        out[hook] = {"verdict": verdict, "gap_s": round(retry - first, 2),
                     "after_recovery_s": round(retry - back, 2), "delayed_by_fault": back > due}
    return out


def tally(judged: dict[str, dict[str, Any]], hooks: set[str] | None = None) -> dict[str, Any]:
    """Counts per verdict (over ``hooks`` when given) and the worst lateness after recovery."""
    rows = [j for h, j in judged.items() if hooks is None or h in hooks]
    late = [j["after_recovery_s"] for j in rows if j["verdict"] == "late"]
    return {"early": sum(j["verdict"] == "early" for j in rows),
            "on_schedule": sum(j["verdict"] == "on_schedule" for j in rows),
            "late": len(late), "delayed_by_fault": sum(bool(j["delayed_by_fault"]) for j in rows),
            "late_behind_backlog": sum(j["verdict"] == "late" and j.get("queue_ahead", 0) >= BACKLOG for j in rows),
            "max_late_after_recovery_s": max((max(0.0, j["after_recovery_s"]) for j in rows), default=0.0)}


class QueueSampler:
    """The webhooks queue's depth over the run (``/health``, once a second): a retry that came late
    after recovery while many messages waited ahead of it was held up by a backlog, not by its schedule."""

    def __init__(self, url: str, every_s: float = 1.0) -> None:
        self.url = url
        self.every_s = every_s
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                depth = httpx.get(f"{self.url}/health", timeout=2).json()["checks"]["queue"]["depth"]["webhooks"]
                self.samples.append((time.monotonic(), int(depth)))
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def deepest(self, start: float, end: float) -> int:
        return max((d for t, d in self.samples if start <= t <= end), default=0)


def mark_backlog(judged: dict[str, dict[str, Any]], arrivals: dict[str, list[float]], sampler: QueueSampler,
                 delay_s: float, jitter: float) -> None:
    """Add to each late retry the deepest webhooks queue seen between its due time and its arrival."""
    for hook, row in judged.items():
        if row["verdict"] == "late":
            first, retry = arrivals[hook][0], arrivals[hook][1]
            row["queue_ahead"] = sampler.deepest(first + delay_s * (1 + jitter), retry)
