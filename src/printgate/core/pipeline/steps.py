"""One function per step type, registered in one catalog. Adding a step = adding one function.

The heavy engines (``printgate.core.preflight``, ``printgate.core.fixes``, ``printgate.core.render``) are imported inside the
step so the API process never loads them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

from printgate.core import library
from printgate.core.errors import StepNotAvailable
from printgate.core.filetypes import PDF, RASTER
from printgate.core.pipeline.context import StepContext, StepResult

StepFn = Callable[[StepContext], StepResult]
STEPS: dict[str, StepFn] = {}
# Which file types each step can handle; others are recorded as skipped (Filecheck does the same).
COMPATIBLE: dict[str, frozenset[str]] = {}


def step(name: str, file_types: tuple[str, ...] = (PDF, RASTER)) -> Callable[[StepFn], StepFn]:
    def register(fn: StepFn) -> StepFn:
        STEPS[name] = fn
        COMPATIBLE[name] = frozenset(file_types)
        return fn

    return register


def resolve_profile(ctx: StepContext) -> dict[str, Any] | None:
    profile_id = (ctx.step.params or {}).get("profileId") or ctx.task.profile_id
    if not profile_id or profile_id in ("default", "auto"):
        return None
    profile = library.find_item(ctx.session, "profile", profile_id, ctx.job.account_id)
    if profile is None:
        from printgate.core.errors import UnreadableFile

        raise UnreadableFile(f"Preflight profile not found: {profile_id}")
    return profile


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    findings = (report.get("evaluation") or {}).get("findings") or []
    return {"errors": sum(1 for f in findings if f.get("severity") == "reject"),
            "warnings": sum(1 for f in findings if f.get("severity") == "warn")}


def _preflight(ctx: StepContext) -> StepResult:
    from printgate.core.preflight import run_preflight

    ctx.profile = resolve_profile(ctx)
    report = run_preflight(ctx.current, ctx.profile, source_name=ctx.task.name or ctx.current.name,
                           context=ctx.job.context)
    ctx.report = report
    if (report.get("pdf") or {}).get("repair"):
        # A damaged file the preflight read as rebuilt: later steps (autofix, previews, proofs,
        # deliver) work on that rebuild, not on the upload, which some of their tools cannot open.
        from printgate.core.preflight.pdf.repair import write_repaired

        rebuilt = ctx.new_path(".pdf")
        if write_repaired(ctx.current, rebuilt) is not None:
            ctx.current = rebuilt
    art = ctx.save_report(report)
    return StepResult(outcome=report.get("outcome", "pass"), outputs=[
        {"kind": "report", "bucket": "local", "key": art.key, "body": {"summary": _summary(report)}},
    ])


@step("preflight")
def preflight(ctx: StepContext) -> StepResult:
    return _preflight(ctx)


@step("repreflight")
def repreflight(ctx: StepContext) -> StepResult:
    return _preflight(ctx)


@step("autofix")
def autofix(ctx: StepContext) -> StepResult:
    from printgate.core.fixes import run_autofix

    if ctx.report is None:
        _preflight(ctx)
    assert ctx.report is not None
    dst = ctx.new_path(ctx.current.suffix or ".pdf")
    items = (ctx.step.params or {}).get("items")
    result = run_autofix(ctx.current, dst, ctx.report, ctx.profile, items=items)
    if result.get("outcome") == "fixed" and dst.exists():
        ctx.save_artifact(dst, role="optimizedFile", mime_type=ctx.task.mime_type,
                          file_name=f"fixed-{ctx.task.name or 'file'}")
        ctx.current = dst
    return StepResult(outcome=result.get("outcome", "unchanged"), runtime_params={
        "applied": result.get("applied", []), "skipped": result.get("skipped", []),
        # Input and output bytes, the ratio against the 1.5x limit, and why a file grew past it.
        "size": result.get("size"),
    })


@step("optimize", (PDF,))
def optimize(ctx: StepContext) -> StepResult:
    from printgate.core.fixes import optimize_pdf

    params = dict(ctx.step.params or {})
    preset_id = params.pop("presetId", None)
    if preset_id:
        preset = library.find_item(ctx.session, "preset", preset_id, ctx.job.account_id)
        if preset is None:
            return StepResult(status="error", outcome="fail", reason=f"Optimize preset not found: {preset_id}")
        params = {**preset.get("params", {}), **params}
    pdf_params = params.get("pdf", params if params and "pdf" not in params and "raster" not in params else {})
    dst = ctx.new_path(".pdf")
    result = optimize_pdf(ctx.current, dst, pdf_params or {})
    ctx.save_artifact(dst, role="optimizedFile", mime_type="application/pdf",
                      file_name=f"optimized-{ctx.task.name or 'file.pdf'}")
    ctx.current = dst
    return StepResult(outcome="pass", runtime_params={
        "appliedFixes": result.get("appliedFixes", []), "skippedFixes": result.get("skippedFixes", []),
        "sizeBytes": result.get("sizeBytes"),
    })


@step("previews")
def previews(ctx: StepContext) -> StepResult:
    from printgate.core.render import render_previews

    params = ctx.step.params or {}
    out_dir = ctx.workdir / f"previews-{ctx.step.id}"
    out_dir.mkdir(exist_ok=True)
    pages = render_previews(ctx.current, out_dir, dpi=int(params.get("dpi", 72)), fmt=params.get("format", "png"),
                            max_pages=params.get("maxPages"))
    outputs = []
    for page in pages:
        art = ctx.save_artifact(page["path"], role=page.get("kind", "preview"), kind="image",
                                mime_type=page.get("mimeType"), page=page.get("page"))
        outputs.append({"kind": page.get("kind", "preview"), "page": page.get("page"), "key": art.key,
                        "width": page.get("width"), "height": page.get("height"), "mimeType": page.get("mimeType")})
    return StepResult(outcome="pass", outputs=outputs)


@step("proof")
def proof(ctx: StepContext) -> StepResult:
    from printgate.core.render import render_proofs

    if ctx.report is None:
        _preflight(ctx)
    out_dir = ctx.workdir / f"proofs-{ctx.step.id}"
    out_dir.mkdir(exist_ok=True)
    pages = render_proofs(ctx.current, ctx.report or {}, out_dir)
    outputs = []
    for page in pages:
        art = ctx.save_artifact(page["path"], role="proof", kind="image", mime_type=page.get("mimeType"),
                                page=page.get("page"))
        outputs.append({"kind": "proof", "page": page.get("page"), "key": art.key})
    return StepResult(outcome="pass", outputs=outputs)


@step("deliver")
def deliver(ctx: StepContext) -> StepResult:
    """Mark the current file as the job's deliverable (the print-ready output)."""
    name = ctx.task.name or ctx.current.name
    dst = ctx.new_path(ctx.current.suffix)
    shutil.copyfile(ctx.current, dst)
    art = ctx.save_artifact(dst, role="output", mime_type=ctx.task.mime_type, file_name=name)
    return StepResult(outcome="pass", outputs=[{"kind": "file", "role": "output", "key": art.key}])


def _not_available(name: str, why: str) -> StepFn:
    def run(ctx: StepContext) -> StepResult:
        raise StepNotAvailable(why)

    run.__name__ = name
    return run


# The runner ends a check that cannot run in ``error`` and any other step ``skipped``
# (``printgate.core.jobs.states.cannot_run_status``), so each reason says what was not done.
for _name, _why in {
    "validate": "PDF/A and PDF/UA validation is not available in this build: the file was not validated",
    "convert": "The convert step is not available in this build yet: format conversion is planned",
    "upscale": "The upscale step is not available in this build: AI upscaling needs a model it does not ship",
    "removebg": "The removebg step is not available in this build: background removal needs a model it does not ship",
    "split_pages": "The split_pages step is not available in this build yet: page splitting is planned",
}.items():
    step(_name, (PDF,) if _name in ("validate", "split_pages") else (PDF, RASTER))(_not_available(_name, _why))
