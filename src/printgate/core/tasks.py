"""core's queue entry points, referenced as functions (RQ stores their import path).

They stay light: the API enqueues them without importing the PDF stack, which the work itself
imports when it runs in a worker (already warm there, see ``printgate.worker``).
"""

from __future__ import annotations


def run_task(task_id: str, phase: str = "intake") -> str:
    """One file's steps for one phase (``printgate.core.pipeline.runner.run_task``)."""
    from printgate.core.pipeline import runner

    return runner.run_task(task_id, phase)
