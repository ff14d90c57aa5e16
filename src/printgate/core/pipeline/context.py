"""What a step sees: the rows, the current file, and a place to put what it produces."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from printgate.core.ids import new_id
from printgate.core.models import Artifact, Job, Step, Task
from printgate.core.storage import get_storage

if TYPE_CHECKING:  # the engine's package is loaded by the steps that run it, not by the API
    from printgate.core.preflight.report import PreflightReport


@dataclass
class StepResult:
    status: str = "done"  # done | skipped | error
    outcome: str | None = None
    reason: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    runtime_params: dict[str, Any] | None = None


@dataclass
class StepContext:
    session: Session
    job: Job
    task: Task
    step: Step
    workdir: Path
    current: Path
    profile: dict[str, Any] | None = None
    report: PreflightReport | None = None  # the newest preflight report of this task
    # Told (what runs, done, total) by long steps, for a caller that shows progress (the CLI).
    progress: Callable[[str, int | None, int | None], None] | None = None

    def save_artifact(self, path: Path, *, role: str, kind: str = "file", mime_type: str | None = None,
                      file_name: str | None = None, page: int | None = None) -> Artifact:
        key = f"a/{self.job.account_id}/{self.job.id}/{self.task.id}/{self.step.id}/{path.name}"
        size = get_storage().put_file(key, path, mime_type)
        art = Artifact(id=new_id("art"), account_id=self.job.account_id, job_id=self.job.id, task_id=self.task.id,
                       step_id=self.step.id, role=role, kind=kind, key=key, mime_type=mime_type, size_bytes=size,
                       file_name=file_name, page=page)
        self.session.add(art)
        return art

    def save_report(self, report: dict[str, Any]) -> Artifact:
        path = self.workdir / f"{self.step.type}-{self.step.id}.json"
        path.write_text(json.dumps(report, default=str))
        return self.save_artifact(path, role="report", kind="report", mime_type="application/json")

    def new_path(self, suffix: str) -> Path:
        return self.workdir / f"{self.step.type}-{self.step.id}{suffix}"
