"""Profiling aids for the benches: a printgate process under cProfile, and the CPU of its threads.

The machine is shared, so both count CPU seconds, not wall time (which would count the waits for a core).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# ``python -m {module} ARGS`` under cProfile timed in CPU seconds (the machine is shared: wall time
# would count the waits for a core); the stats go to ``out`` when the process ends.
PROFILED = """
import cProfile, runpy, signal, sys, time
# uvicorn re-raises the SIGTERM it caught once it has shut down: exit through the finally below then.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sys.argv = [{module!r}, *sys.argv[1:]]
profile = cProfile.Profile(time.process_time)
profile.enable()
try:
    runpy.run_module({module!r}, run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profile.disable()
    profile.dump_stats({out!r})
"""

# The API under cProfile: its event loop's thread, and the receiver's flushes (verify, insert, commit,
# enqueue: run in a thread hand-off) in a second profile; both timed in their own thread's CPU.
PROFILED_API = """
import cProfile, runpy, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sys.argv = ["uvicorn", *sys.argv[1:]]
from printgate.webhooks import inbound
flushes = cProfile.Profile(time.thread_time)
flush = inbound._batcher._flush
def profiled_flush(items):
    flushes.enable()
    try:
        return flush(items)
    finally:
        flushes.disable()
inbound._batcher._flush = profiled_flush
profile = cProfile.Profile(time.thread_time)
profile.enable()
try:
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profile.disable()
    profile.dump_stats({out!r})
    flushes.dump_stats({out!r}.replace(".prof", "-flushes.prof"))
"""


def other_threads_cpu(pids: list[int]) -> float:
    """CPU s so far of these processes' threads other than each one's main thread: in an API process,
    the thread hand-offs (the receiver's verify, insert, commit and enqueue), apart from the event loop."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # a process or thread gone meanwhile: nothing to count
            for task in Path(f"/proc/{pid}/task").iterdir():
                if task.name != str(pid):
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / tick
    return total
