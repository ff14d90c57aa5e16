"""``printgate check`` and ``printgate fix`` over many local files, side by side.

A print shop checks a folder, not a file: each file gets one summary line (or one JSON line), a
progress bar runs on a terminal, and ``-j N`` spreads the files over N processes. ``check`` needs no
database and no queue: it runs the preflight engine in-process and judges the report with the same
functions a job's status comes from (``core.jobs.states``), so a local verdict and the API's agree.
``fix`` runs the real intake pipeline (preflight, autofix, re-preflight, deliver) on an inline job,
since the autofix step works on the job's stored files.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from printgate.core.jobs.states import RunStatus, TaskView, can_proceed, job_status


@dataclass
class FileVerdict:
    """The answer for one local file: what a job with one task would have said about it."""

    file: str
    status: str
    outcome: str | None
    can_proceed: bool
    seconds: float
    reason: str | None = None
    pages: int | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    output: str | None = None
    fixes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rejects = sum(1 for f in self.findings if f.get("severity") == "reject")
        warns = sum(1 for f in self.findings if f.get("severity") == "warn")
        pages = f"{self.pages} page(s), " if self.pages is not None else ""
        head = f"{self.file}: {self.status} (canProceed {str(self.can_proceed).lower()}; {pages}" \
               f"{rejects} reject, {warns} warn; {self.seconds:.2f} s)"
        return head + (f"\n  reason: {self.reason}" if self.reason else "")

    def details(self) -> str:
        lines = [self.summary()]
        for finding in self.findings:
            page = f" p.{finding['page']}" if finding.get("page") else ""
            fixable = " [autofix]" if (finding.get("autofix") or {}).get("available") else ""
            lines.append(f"  - {finding.get('severity', ''):6} {finding.get('ruleId') or finding.get('checkId')}{page}: "
                         f"{finding.get('issue')}{fixable}")
        lines += [f"  {line}" for line in self.fixes]
        if self.output:
            lines.append(f"  wrote {self.output}")
        return "\n".join(lines)

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "status": self.status, "outcome": self.outcome,
                               "canProceed": self.can_proceed, "reason": self.reason, "pages": self.pages,
                               "seconds": round(self.seconds, 3), "findings": self.findings}
        if self.output is not None:
            out["output"] = self.output
        if self.report is not None:
            out["report"] = self.report
        return out


def _verdict(file: Path, started: float, outcome: str | None, *, error: str | None = None,
             report: dict[str, Any] | None = None) -> FileVerdict:
    """One task, ``onFail: reject``, judged by ``job_status`` as the pipeline's own jobs are."""
    task = TaskView(status=RunStatus.ERROR if error else RunStatus.DONE, outcome="fail" if error else outcome)
    status = job_status([task])
    findings = ((report or {}).get("evaluation") or {}).get("findings") or []
    pages = ((report or {}).get("pdf") or {}).get("page_count")
    return FileVerdict(file=str(file), status=str(status), outcome="fail" if error else outcome,
                       can_proceed=can_proceed(status), seconds=time.perf_counter() - started,
                       reason=error, pages=pages, findings=list(findings), report=report)


def check_file(file: Path, profile: dict[str, Any] | None, live: bool = False) -> FileVerdict:
    """Preflight one file in this process; a file that cannot be checked is ``rejected`` with why.
    ``live``: on a terminal, a bar shows the pages read so far (a 300-page book takes a while)."""
    from printgate.core.errors import UnreadableFile
    from printgate.core.preflight import preflight_report

    started = time.perf_counter()
    bar = file_progress(file.name, sys.stderr) if live else None
    try:
        report = preflight_report(file, profile, source_name=file.name, workers=1,
                                  progress=(lambda done, total: bar("preflight", done, total)) if bar else None)
    except UnreadableFile as exc:
        return _verdict(file, started, None, error=exc.reason)
    except Exception as exc:  # a crash is a verdict on this file, never the end of the batch
        return _verdict(file, started, None,
                        error=f"Internal error in the preflight ({type(exc).__name__}); the file could not be checked")
    finally:
        if bar is not None:
            bar.close()
    return _verdict(file, started, report.outcome, report=report.to_wire())  # the verdict prints the wire


def fix_file(file: Path, output: Path, profile_id: str | None,
             progress: Callable[[str, int | None, int | None], None] | None = None) -> FileVerdict:
    """Preflight, autofix, re-preflight and deliver one file through an inline job; write the result.
    ``progress`` hears each step, each fix and the pages of the fixes that go page by page."""
    from printgate.core.storage import get_storage

    started = time.perf_counter()
    try:
        job = inline_job(file, [{"type": "preflight"}, {"type": "autofix"}, {"type": "repreflight"},
                                {"type": "deliver"}], profile_id, progress)
    except Exception as exc:
        return _verdict(file, started, None, error=f"Internal error ({type(exc).__name__}): {exc}")
    preflights = (job.get("results") or {}).get("preflight") or []
    report = (preflights[-1].get("report") if preflights else None) or None
    verdict = FileVerdict(file=str(file), status=job["status"], outcome=job.get("outcome"),
                          can_proceed=bool(job["canProceed"]), seconds=time.perf_counter() - started,
                          reason=job.get("reason"), pages=((report or {}).get("pdf") or {}).get("page_count"),
                          findings=list(((report or {}).get("evaluation") or {}).get("findings") or []),
                          report=report)
    for task in job["tasks"]:
        for step in task["steps"]:
            if step["type"] == "autofix":
                runtime = step.get("runtimeParams") or {}
                verdict.fixes += [f"fixed: {a.get('ruleId')} ({a.get('strategy')})" for a in runtime.get("applied", [])]
                verdict.fixes += [f"not fixed: {s.get('ruleId')}: {s.get('reason')}" for s in runtime.get("skipped", [])]
            if step.get("status") == "error" and not verdict.reason:
                verdict.reason = step.get("reason")
    outputs = job.get("deliverables") or []
    if outputs:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(get_storage().local_path(outputs[0]["key"]).read_bytes())
        verdict.output = str(output)
    elif not verdict.reason:
        verdict.reason = "no output was produced"
    return verdict


def prepare_jobs(profile_arg: str | None) -> str | None:
    """Once, before files run side by side: the schema, the local account, and a profile file saved
    as a library profile (checked as the API checks one); returns the profile id the jobs use."""
    from sqlmodel import Session

    from printgate.core import library
    from printgate.core.db import get_engine, migrate
    from printgate.core.keys import get_or_create_account

    migrate()
    profile_id, profile_body = _profile_arg(profile_arg)
    with Session(get_engine()) as session:
        account = get_or_create_account(session, "local")
        if profile_body is not None:
            profile_id = library.save_item(session, "profile", account.id, profile_body,
                                           item_id=profile_body.get("id"))["id"]
        elif profile_id and library.find_item(session, "profile", profile_id, account.id) is None \
                and profile_id not in ("default", "auto"):
            from printgate.core.errors import BadRequest

            raise BadRequest(f"Preflight profile not found: {profile_id}")
    return profile_id


def inline_job(file: Path, steps: list[dict[str, Any]], profile_id: str | None,
               progress: Callable[[str, int | None, int | None], None] | None = None) -> dict[str, Any]:
    """Run a job for a local file in this process (no queue) and return it as the API shapes it.
    Call :func:`prepare_jobs` first."""
    from sqlmodel import Session

    from printgate.core.db import get_engine
    from printgate.core.jobs import service
    from printgate.core.jobs.service import JobSpec, SourceSpec
    from printgate.core.keys import get_or_create_account
    from printgate.core.models import Job
    from printgate.core.pipeline.runner import run_task
    from printgate.core.wire import job_wire

    with Session(get_engine(), expire_on_commit=False) as session:
        account = get_or_create_account(session, "local")
        for step in steps:
            if step["type"] in ("preflight", "repreflight") and profile_id:
                step["params"] = {"profileId": profile_id}
        spec = JobSpec(kind="check", channel="admin", sources=[SourceSpec(
            steps=steps, data=file.read_bytes(), name=file.name, profile_id=profile_id)])
        job = service.create_job(session, account.id, spec, start=False)
        for task in service.tasks_of(session, job.id):
            run_task(task.id, "intake", progress)
        session.expire_all()
        fresh = session.get(Job, job.id)
        assert fresh is not None
        return job_wire(session, fresh)


def _profile_arg(value: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """``--profile``: a profile id, or a profile ``.json`` file."""
    if not value:
        return None, None
    path = Path(value)
    if path.suffix == ".json" and path.exists():
        body = json.loads(path.read_text())
        if not isinstance(body, dict):
            from printgate.core.errors import BadRequest

            raise BadRequest(f"{value}: a profile file holds one JSON object")
        return None, body
    return value, None


def resolve_profile(value: str | None) -> dict[str, Any] | None:
    """The profile a local check applies, checked as the library checks a saved one. Built-ins and
    files need no database; only the id of a profile saved in this instance opens it."""
    from printgate.core.errors import BadRequest
    from printgate.core.preflight.profiles import get_builtin_profile

    profile_id, body = _profile_arg(value)
    if body is not None:
        from printgate.core import library_integrity

        library_integrity.check_shape("profile", body)
        return body
    if not profile_id or profile_id in ("default", "auto"):
        return None
    builtin = get_builtin_profile(profile_id)
    if builtin is not None:
        return builtin
    from sqlmodel import Session

    from printgate.core import library
    from printgate.core.db import get_engine, migrate
    from printgate.core.keys import get_or_create_account

    migrate()
    with Session(get_engine()) as session:
        found = library.find_item(session, "profile", profile_id, get_or_create_account(session, "local").id)
    if found is None:
        raise BadRequest(f"Preflight profile not found: {profile_id}")
    return found


# ----------------------------------------------------------------------------- running many files


def _progress(total: int, stream: TextIO) -> Any:
    """A progress bar on a terminal only: piped output stays one line per file."""
    if total < 2 or not stream.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, file=stream, unit="file", leave=False, dynamic_ncols=True)


class FileProgress:
    """The bar of the file being fixed, on a terminal: which step or fix runs and, for the fixes that
    go page by page (Ghostscript's own ``Page N`` included), pages done / total. A 600-page book
    otherwise sits silent for minutes."""

    def __init__(self, name: str, stream: TextIO) -> None:
        from tqdm import tqdm

        self.name = name
        self.what = ""
        self.bar = tqdm(total=None, file=stream, unit="page", leave=False, dynamic_ncols=True,
                        desc=name, bar_format="{desc} {n_fmt}/{total_fmt} {bar} {elapsed}")

    def __call__(self, what: str, done: int | None, total: int | None) -> None:
        if what != self.what:
            self.what = what
            self.bar.set_description_str(f"{self.name}: {what.replace('_', ' ')}", refresh=False)
            self.bar.bar_format = "{desc} {elapsed}"
            self.bar.reset(total=None)
        if total is not None and done is not None:
            if self.bar.total != total:
                self.bar.bar_format = "{desc} {n_fmt}/{total_fmt} {bar} {elapsed}"
                self.bar.reset(total=total)
            self.bar.update(done - self.bar.n)  # drawn at most every 0.1 s (tqdm's mininterval)
            if done >= total:
                self.bar.refresh()  # the last page is always shown
        else:
            self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def file_progress(name: str, stream: TextIO) -> FileProgress | None:
    """A :class:`FileProgress` on a terminal; ``None`` when output is piped (nothing is drawn)."""
    return FileProgress(name, stream) if stream.isatty() else None


def run_many(files: list[Path], work: Callable[[Path], FileVerdict], jobs: int,
             initializer: Callable[[], None] | None = None) -> Iterator[FileVerdict]:
    """Yield each file's verdict as it finishes, from ``jobs`` processes (1 = this process).
    ``initializer`` warms each pool process; this process imports what a file needs as it goes."""
    if jobs <= 1 or len(files) < 2:
        for file in files:
            yield work(file)
        return
    with ProcessPoolExecutor(max_workers=min(jobs, len(files)), initializer=initializer) as pool:
        futures = [pool.submit(work, file) for file in files]
        for future in as_completed(futures):
            yield future.result()


def report(verdicts: Iterable[FileVerdict], total: int, *, as_json: bool, detailed: bool,
           out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Print one line (or JSON line) per file and a total; exit 0 when every file can proceed,
    1 when one cannot."""
    bar = _progress(total, err)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    blocked = 0
    for verdict in verdicts:
        counts[verdict.status] = counts.get(verdict.status, 0) + 1
        blocked += 0 if verdict.can_proceed else 1
        text = json.dumps(verdict.wire()) if as_json else (verdict.details() if detailed else verdict.summary())
        if bar is not None:
            bar.clear()
        print(text, file=out, flush=True)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if not as_json and total > 1:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        cpu = os.times()
        print(f"{total} file(s): {parts}; {blocked} cannot proceed; {time.perf_counter() - started:.1f} s "
              f"({cpu.user + cpu.system + cpu.children_user + cpu.children_system:.1f} s CPU)", file=out)
    return 1 if blocked else 0


def warm_engine() -> None:
    """Import the engine once per process before its first file."""
    from printgate.core.preflight.engine import warm_up

    warm_up()


__all__ = ["FileProgress", "FileVerdict", "check_file", "file_progress", "fix_file", "inline_job", "prepare_jobs", "report", "resolve_profile",
           "run_many", "warm_engine"]
