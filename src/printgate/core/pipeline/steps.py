"""One function per step type, registered in one catalog. Adding a step = adding one function.

The heavy engines (``printgate.core.preflight``, ``printgate.core.fixes``, ``printgate.core.render``) are imported inside the
step so the API process never loads them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from printgate.core import library
from printgate.core.errors import StepNotAvailable
from printgate.core.filetypes import PDF, RASTER
from printgate.core.pipeline.context import StepContext, StepResult

if TYPE_CHECKING:
    from printgate.core.preflight.report import PreflightReport

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


def _summary(report: PreflightReport) -> dict[str, Any]:
    return {"errors": report.count("reject"), "warnings": report.count("warn")}


def _preflight(ctx: StepContext) -> StepResult:
    from printgate.core.preflight import preflight_report

    ctx.profile = resolve_profile(ctx)
    tell, what = ctx.progress, ctx.step.type
    pages = (lambda done, total: tell(what, done, total)) if tell is not None else None  # pages read so far
    report = preflight_report(ctx.current, ctx.profile, source_name=ctx.task.name or ctx.current.name,
                              context=ctx.job.context, progress=pages)
    ctx.report = report
    if report.repaired:
        # A damaged file the preflight read as rebuilt: later steps (autofix, previews, proofs,
        # deliver) work on that rebuild, not on the upload, which some of their tools cannot open.
        from printgate.core.preflight.pdf.repair import write_repaired

        rebuilt = ctx.new_path(".pdf")
        if write_repaired(ctx.current, rebuilt) is not None:
            ctx.current = rebuilt
    art = ctx.save_report(report.to_wire())
    return StepResult(outcome=report.outcome, outputs=[
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
    result = run_autofix(ctx.current, dst, ctx.report.to_wire(), ctx.profile, items=items, progress=ctx.progress)
    if result.get("outcome") == "fixed" and dst.exists():
        ctx.save_artifact(dst, role="optimizedFile", mime_type=ctx.task.mime_type,
                          file_name=f"fixed-{ctx.task.name or 'file'}")
        ctx.current = dst
    return StepResult(outcome=result.get("outcome", "unchanged"), runtime_params={
        "applied": result.get("applied", []), "skipped": result.get("skipped", []),
        # Input and output bytes, the ratio against the 1.5x limit, and why a file grew past it.
        "size": result.get("size"),
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
    params = ctx.step.params or {}
    report = ctx.report.to_wire() if ctx.report is not None else {}
    runtime: dict[str, Any] | None = None
    if params.get("autofix"):
        # Before the file is fixed (the intake's soft proof): the proof shows it as the profile's
        # autofixes will leave it, with the findings they do not resolve.
        from printgate.core.render.proofs import render_fixed_proofs

        pages, fixed = render_fixed_proofs(ctx.current, report, ctx.profile, out_dir,
                                           max_pages=params.get("maxPages"))
        runtime = {"fromFixedFile": fixed["outcome"] == "fixed",
                   "applied": sorted({a["strategy"] for a in fixed["applied"]})}
    else:
        pages = render_proofs(ctx.current, report, out_dir, max_pages=params.get("maxPages"))
    outputs = []
    for page in pages:
        art = ctx.save_artifact(page["path"], role="proof", kind="image", mime_type=page.get("mimeType"),
                                page=page.get("page"))
        outputs.append({"kind": "proof", "page": page.get("page"), "key": art.key,
                        "width": page.get("width"), "height": page.get("height"),
                        "marks": [m["label"] for m in page.get("marks") or []]})
    return StepResult(outcome="pass", outputs=outputs, runtime_params=runtime)


@step("deliver")
def deliver(ctx: StepContext) -> StepResult:
    """Mark the current file as the job's deliverable (the print-ready output)."""
    from printgate.core.filetypes import sniff
    from printgate.core.processing.steps import output_name, split_done

    if split_done(ctx):
        return StepResult(status="skipped", reason="the pages were delivered one by one by split_pages")
    name = output_name(ctx.task.name or ctx.current.name, ctx.current)
    dst = ctx.new_path(ctx.current.suffix)
    shutil.copyfile(ctx.current, dst)
    # What is delivered may not be what was uploaded (a photo converted to a PDF): its own type.
    mime_type = sniff(dst)[1] if ctx.current.suffix != Path(ctx.task.name or "").suffix else ctx.task.mime_type
    art = ctx.save_artifact(dst, role="output", mime_type=mime_type or ctx.task.mime_type, file_name=name)
    return StepResult(outcome="pass", outputs=[{"kind": "file", "role": "output", "key": art.key}])


def _not_available(name: str, why: str) -> StepFn:
    def run(ctx: StepContext) -> StepResult:
        raise StepNotAvailable(why)

    run.__name__ = name
    return run


@step("validate", (PDF,))
def validate(ctx: StepContext) -> StepResult:
    """PDF/A and PDF/UA validation (``printgate.core.validation``); a file it cannot read ends ``error``."""
    from printgate.core.validation import CannotValidate, validate_file
    from printgate.core.wire import validate_step_output

    params = ctx.step.params or {}
    asked = params.get("profile") or params.get("flavour") or params.get("standard") or ["auto"]
    profiles = [str(p) for p in (asked if isinstance(asked, list) else [asked])]
    try:
        report = validate_file(ctx.current, profiles)
    except CannotValidate as exc:
        return StepResult(status="error", outcome="fail", reason=exc.reason)
    except ValueError as exc:  # an unknown profile code
        return StepResult(status="error", outcome="fail", reason=f"cannot validate: {exc}")
    conversion = None
    x_level = None
    if params.get("autofix") and not report["compliant"]:
        from printgate.core.fixes.pdfx import identification_level

        x_level = identification_level(profiles, report)
    if x_level is not None:
        report, conversion = _convert_pdfx(ctx, profiles, report, x_level)
    elif params.get("autofix") and not report["compliant"]:
        # Convert to PDF/A (core/fixes/pdfa.py), then judge the converted file with the profiles asked.
        from printgate.core.fixes.pdfa import PdfaConversionError, conversion_level, convert_file

        dst = ctx.new_path(".pdf")
        try:
            conversion = convert_file(ctx.current, dst, conversion_level(profiles, report))
            conversion.pop("validation", None)
            report = validate_file(dst, profiles)
        except PdfaConversionError as exc:
            conversion = {"compliant": False, "error": exc.reason}
        except CannotValidate as exc:
            return StepResult(status="error", outcome="fail", reason=exc.reason, runtime_params={"conversion": conversion})
        else:
            ctx.save_artifact(dst, role="optimizedFile", mime_type=ctx.task.mime_type,
                              file_name=f"pdfa-{ctx.task.name or 'file'}")
            ctx.current = dst
    art = ctx.save_report(report)
    reason = _not_compliant(report)
    if reason and conversion is not None and conversion.get("error"):
        reason += f"; not converted: {conversion['error']}"
    elif reason and conversion is not None and conversion.get("written") is False:  # PDF/X, not converted
        reason += f"; {conversion['summary']}"
        if conversion.get("notes"):
            reason += f" ({'; '.join(conversion['notes'])})"
    return StepResult(outcome="pass" if report["compliant"] else "fail", reason=reason,
                      outputs=[validate_step_output(report, profiles, art.key)],
                      runtime_params={"conversion": conversion} if conversion is not None else None)


def _convert_pdfx(ctx: StepContext, profiles: list[str], report: dict[str, Any],
                  level: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """PDF/X conversion (core/fixes/pdfx_convert.py, as ``printgate fix --pdfx``): the content is made to
    conform where the PDF/X rules find it needed, then identified. The converted file is adopted, and
    judged with the profiles asked, only when the validator confirmed it; otherwise the upload stays as it
    was, and the result lists what could not be converted (``notes``) and the rules still failed."""
    from printgate.core.fixes.pdfx import PdfxIdentificationError
    from printgate.core.fixes.pdfx_convert import convert_file
    from printgate.core.validation import CannotValidate, validate_file

    dst = ctx.new_path(".pdf")
    try:  # the CMYK intent is the file's own usable one, else FOGRA39 (no server path from a request)
        result = convert_file(ctx.current, dst, level, title=Path(ctx.task.name or ctx.current.name).stem)
    except PdfxIdentificationError as exc:  # PdfxConversionError too: unreadable, encrypted
        return report, {"compliant": False, "error": exc.reason}
    result.pop("validation", None)
    if not result["written"]:
        return report, result
    try:
        report = validate_file(dst, profiles)
    except CannotValidate as exc:  # it was just read: only a vanished file gets here
        return report, {**result, "compliant": False, "written": False, "error": exc.reason}
    ctx.save_artifact(dst, role="optimizedFile", mime_type=ctx.task.mime_type,
                      file_name=f"pdfx-{ctx.task.name or 'file'}")
    ctx.current = dst
    return report, result


def _not_compliant(report: dict[str, Any]) -> str | None:
    """Why a validated file failed, in a line the customer and the merchant can read."""
    failed = [r for r in report.get("profiles", []) if not r.get("compliant")]
    if not failed:
        return None
    parts = []
    for result in failed:
        clauses = sorted({str(f.get("clause")) for f in result.get("failures", []) if f.get("clause")})
        shown = ", ".join(clauses[:4]) + (" and more" if len(clauses) > 4 else "")
        parts.append(f"the file is not {result.get('profileName', '').removesuffix(' validation profile')} compliant "
                     f"({result.get('rules', {}).get('failed', 0)} rule(s) failed"
                     + (f": clause {shown})" if shown else ")"))
    text = "; ".join(parts)
    return text[0].upper() + text[1:]

# The processing phase's steps (optimize, convert, upscale, removebg, split_pages).
from printgate.core.processing.steps import REGISTRY as _PROCESSING  # noqa: E402

for _name, (_fn, _types) in _PROCESSING.items():
    step(_name, _types)(_fn)
