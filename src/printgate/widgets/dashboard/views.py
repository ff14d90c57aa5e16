"""A job shaped for the dashboard's pages, from core's wire shapes (``job_wire``, ``runs_wire``):
its files with their steps and timings, findings grouped by check, previews, proofs and downloads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from printgate.core.clock import as_utc
from printgate.core.models import Job, Order
from printgate.core.wire import job_wire, runs_wire
from printgate.widgets.dashboard.queries import RESULTS, is_live, result_key

SEVERITY_LABEL = {"reject": "Fail", "warn": "Warning", "info": "Info"}
_SEVERITY_RANK = {"reject": 2, "warn": 1, "info": 0}


@dataclass
class CheckGroup:
    check_id: str
    severity: str
    label: str
    findings: list[dict[str, Any]]


@dataclass
class Report:
    step: str  # preflight | repreflight
    groups: list[CheckGroup]
    passed: int
    skipped: dict[str, str]


@dataclass
class FileView:
    id: str
    name: str
    status: str
    outcome: str | None
    reason: str | None
    steps: list[dict[str, Any]]
    reports: list[Report] = field(default_factory=list)
    previews: list[dict[str, Any]] = field(default_factory=list)
    proofs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None

    @property
    def finding_count(self) -> int:
        return sum(len(g.findings) for r in self.reports for g in r.groups)


@dataclass
class JobView:
    job: Job
    wire: dict[str, Any]
    result: str
    result_label: str
    live: bool
    files: list[FileView]
    order: Order | None
    review: dict[str, Any] | None

    @property
    def modified_iso(self) -> str:
        return as_utc(self.job.modified_at).isoformat() if self.job.modified_at else ""

    @property
    def raw_json(self) -> str:
        return json.dumps(self.wire, indent=2, sort_keys=False)


def _group(findings: list[dict[str, Any]]) -> list[CheckGroup]:
    groups: dict[str, CheckGroup] = {}
    for finding in findings:
        check = str(finding.get("checkId") or finding.get("ruleId") or "other")
        severity = str(finding.get("severity") or "info")
        group = groups.get(check)
        if group is None:
            group = groups[check] = CheckGroup(check, severity, SEVERITY_LABEL.get(severity, severity), [])
        elif _SEVERITY_RANK.get(severity, 0) > _SEVERITY_RANK.get(group.severity, 0):
            group.severity, group.label = severity, SEVERITY_LABEL.get(severity, severity)
        group.findings.append({
            "severity": severity, "label": SEVERITY_LABEL.get(severity, severity), "page": finding.get("page"),
            "issue": finding.get("issue") or finding.get("message") or check, "fix": finding.get("fix"),
            "autofix": bool((finding.get("autofix") or {}).get("available")),
        })
    return sorted(groups.values(), key=lambda g: (-_SEVERITY_RANK.get(g.severity, 0), g.check_id))


def _reports(wire: dict[str, Any]) -> dict[str, list[Report]]:
    out: dict[str, list[Report]] = {}
    for entry in (wire.get("results") or {}).get("preflight", []):
        evaluation = (entry.get("report") or {}).get("evaluation") or {}
        out.setdefault(entry["taskId"], []).append(Report(
            step=entry.get("step") or "preflight", groups=_group(evaluation.get("findings") or []),
            passed=len(evaluation.get("passed") or []), skipped=dict(evaluation.get("skippedReasons") or {})))
    return out


def _step_row(step: dict[str, Any]) -> dict[str, Any]:
    duration = step.get("duration")
    return {"type": step["type"], "label": step.get("label") or step["type"], "status": step["status"],
            "outcome": step.get("outcome"), "reason": step.get("reason"), "started": step.get("started"),
            "ended": step.get("ended"),
            "duration": f"{duration / 1000:.2f} s" if isinstance(duration, int | float) else None}


def job_view(session: Session, job: Job) -> JobView:
    wire = job_wire(session, job)
    runs = {run["id"]: run for run in runs_wire(session, job)["runs"]}
    reports = _reports(wire)
    autofixed = any(s["type"] == "autofix" and s.get("outcome") == "fixed"
                    for t in wire["tasks"] for s in t["steps"])
    files = []
    for task in wire["tasks"]:
        run = runs.get(task["id"], {})
        files.append(FileView(
            id=task["id"], name=task.get("name") or task["id"], status=task["status"], outcome=task.get("outcome"),
            reason=task.get("reason"), steps=[_step_row(s) for s in task["steps"]],
            reports=reports.get(task["id"], []), previews=list(run.get("previews") or []),
            proofs=list(run.get("proofs") or []),
            outputs=[{"name": a.get("fileName") or "output", "url": a.get("downloadUrl"), "size": a.get("sizeBytes")}
                     for a in task.get("outputArtifacts") or []],
            original=task.get("originalArtifact")))
    order = None
    if job.order_id:
        order = session.exec(select(Order).where(Order.account_id == job.account_id,
                                                 Order.external_id == job.order_id)).first()
    key = result_key(job.status, autofixed)
    return JobView(job=job, wire=wire, result=key, result_label=RESULTS[key], live=is_live(job.status, job.wf_phase),
                   files=files, order=order, review=wire.get("review"))
