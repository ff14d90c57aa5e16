"""The processing steps: optimize (PDF and raster), convert, upscale, removebg, split_pages.

Registered by ``printgate.core.pipeline.steps`` (``REGISTRY``). Light at import: each step imports
its engine when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from printgate.core import library
from printgate.core.filetypes import PDF, RASTER
from printgate.core.pipeline.context import StepContext, StepResult

PDF_MIME = "application/pdf"


def _stem(ctx: StepContext) -> str:
    from printgate.core.processing.pages import safe_stem

    return safe_stem(ctx.task.name or ctx.current.name)


def merged_params(ctx: StepContext) -> dict[str, Any] | StepResult:
    """The step's params over its preset's (``presetId``), merged per namespace (``pdf``, ``raster``)."""
    params = dict(ctx.step.params or {})
    preset_id = params.pop("presetId", None)
    if not preset_id:
        return params
    preset = library.find_item(ctx.session, "preset", str(preset_id), ctx.job.account_id)
    if preset is None:
        return StepResult(status="error", outcome="fail", reason=f"Optimize preset not found: {preset_id}")
    base = dict(preset.get("params") or {})
    for namespace in set(base) | set(params):
        a, b = base.get(namespace), params.get(namespace)
        base[namespace] = {**a, **b} if isinstance(a, dict) and isinstance(b, dict) else (b if b is not None else a)
    return base


def optimize(ctx: StepContext) -> StepResult:
    params = merged_params(ctx)
    if isinstance(params, StepResult):
        return params
    if ctx.task.file_type == RASTER:
        return _optimize_raster(ctx, params)
    from printgate.core.fixes import optimize_pdf

    # A bare pdf dict (no namespace) is accepted as the pdf namespace, as before.
    pdf_params = params.get("pdf", params if params and "pdf" not in params and "raster" not in params else {})
    dst = ctx.new_path(".pdf")
    result = optimize_pdf(ctx.current, dst, pdf_params or {})
    size = result.get("size") or {}
    ctx.save_artifact(dst, role="optimizedFile", mime_type=PDF_MIME, file_name=f"optimized-{_stem(ctx)}.pdf")
    ctx.current = dst
    return StepResult(outcome="warn" if size.get("grewBecause") else "pass", runtime_params={
        "appliedFixes": result.get("appliedFixes", []), "skippedFixes": result.get("skippedFixes", []),
        "sizeBytes": result.get("sizeBytes"), "size": size,
    })


def _optimize_raster(ctx: StepContext, params: dict[str, Any]) -> StepResult:
    raster = params.get("raster")
    if raster is None and "pdf" in params:
        return StepResult(status="skipped", reason="the optimize parameters have no raster namespace for this image")
    return _run_raster(ctx, dict(raster or {}), "optimized")


def _run_raster(ctx: StepContext, params: dict[str, Any], prefix: str) -> StepResult:
    from printgate.core.processing.raster import run_raster

    out_dir = ctx.workdir / f"{ctx.step.type}-{ctx.step.id}"
    run = run_raster(ctx.current, out_dir, params)
    ctx.save_artifact(run.path, role="optimizedFile", mime_type=run.mime_type,
                      file_name=f"{prefix}-{_stem(ctx)}{run.path.suffix}")
    ctx.current = run.path
    return StepResult(outcome="pass", runtime_params={
        "appliedFixes": run.applied, "skippedFixes": run.skipped, "details": run.details,
        "sizeBytes": run.path.stat().st_size,
    })


def _print_size(ctx: StepContext, params: dict[str, Any]) -> tuple[tuple[float, float] | None, float]:
    context = ctx.job.context or {}
    size = context.get("artworkSize") or {}
    w = params.get("widthMm") or size.get("width_mm")
    h = params.get("heightMm") or size.get("height_mm")
    bleed = params.get("bleedMm", (context.get("bleed") or {}).get("required_mm", 0))
    return ((float(w), float(h)) if w and h else None), float(bleed or 0)


def _single(ctx: StepContext, key: str, value: dict[str, Any], extra: dict[str, Any] | None = None) -> StepResult:
    """Run one raster operation; a skipped operation is a skipped step, with its reason."""
    result = _run_raster(ctx, {key: value, **(extra or {})}, ctx.step.type)
    rt = result.runtime_params or {}
    missed = next((s for s in rt.get("skippedFixes", []) if s["name"] == key), None)
    if missed is not None:
        return StepResult(status="skipped", reason=missed["reason"], runtime_params=rt)
    return result


def upscale(ctx: StepContext) -> StepResult:
    params = dict(ctx.step.params or {})
    size, _bleed = _print_size(ctx, params)
    params.pop("widthMm", None), params.pop("heightMm", None), params.pop("bleedMm", None)
    if size and not any(k in params for k in ("scale", "target_width_px", "target_height_px", "target_width_mm")):
        params.update(target_width_mm=size[0], target_height_mm=size[1])
    params.setdefault("minDpi", 300)
    return _single(ctx, "upscale", params)


def removebg(ctx: StepContext) -> StepResult:
    from printgate.core.processing.removebg import model_status

    missing = model_status()
    if missing:
        return StepResult(status="skipped", reason=f"Background removal was not done: {missing}")
    fmt = str((ctx.step.params or {}).get("format") or "png").lower()
    if fmt not in ("png", "webp", "tiff", "tif"):
        return StepResult(status="error", outcome="fail", reason=f"removebg writes RGBA: format {fmt} cannot hold it")
    return _single(ctx, "removeBg", {"enabled": True}, {"convert": {"format": fmt}})


def convert(ctx: StepContext) -> StepResult:
    params = dict(ctx.step.params or {})
    fmt = str(params.get("format") or "pdf").lower()
    if ctx.task.file_type == PDF:
        if fmt == "pdf":
            return StepResult(status="skipped", reason="the file is a PDF already")
        return StepResult(status="skipped", reason=f"PDF to {fmt} is not a conversion printgate makes; "
                          "use the previews step for page images")
    if fmt != "pdf":
        return _single(ctx, "convert", {"format": fmt})
    return _raster_to_pdf(ctx, params)


def _raster_to_pdf(ctx: StepContext, params: dict[str, Any]) -> StepResult:
    from printgate.core.processing.streaming import VipsDoc
    from printgate.core.processing.topdf import raster_to_pdf

    size, bleed = _print_size(ctx, params)
    doc = VipsDoc(ctx.current)
    dst = ctx.new_path(".pdf")
    profile = params.get("profile", "fogra39")
    result = raster_to_pdf(doc.image, dst, trim_mm=size, dpi=doc.dpi, bleed_mm=bleed,
                           bleed_mode=str(params.get("bleedMode", "mirror")), profile=profile,
                           source_icc=doc.icc_profile, reread=lambda: VipsDoc(ctx.current).image)
    ctx.save_artifact(dst, role="optimizedFile", mime_type=PDF_MIME, file_name=f"{_stem(ctx)}.pdf")
    ctx.current = dst
    minimum = float(params.get("minDpi", 0) or 0)
    low = minimum and result.effective_dpi < minimum
    return StepResult(outcome="warn" if low or result.notes else "pass", runtime_params={
        "format": "pdf", **result.wire(), "sizeBytes": dst.stat().st_size,
    })


def split_pages(ctx: StepContext) -> StepResult:
    from printgate.core.processing.pages import DEFAULT_PATTERN
    from printgate.core.processing.pages import split_pages as split

    pattern = str((ctx.step.params or {}).get("pattern") or DEFAULT_PATTERN)
    try:
        pages = split(ctx.current, ctx.workdir / f"split-{ctx.step.id}", name=ctx.task.name or ctx.current.name,
                      pattern=pattern)
    except ValueError as exc:
        return StepResult(status="error", outcome="fail", reason=str(exc))
    outputs = []
    for number, (path, file_name) in enumerate(pages, start=1):
        art = ctx.save_artifact(path, role="output", kind="page", mime_type=PDF_MIME, file_name=file_name,
                                page=number)
        outputs.append({"kind": "page", "role": "output", "page": number, "key": art.key, "fileName": file_name})
    return StepResult(outcome="pass", outputs=outputs, runtime_params={"pages": len(pages), "pattern": pattern})


def split_done(ctx: StepContext) -> bool:
    """True when this task's pages were delivered one by one (a split_pages step ran)."""
    from sqlmodel import select

    from printgate.core.models import Artifact

    return ctx.session.exec(select(Artifact).where(Artifact.task_id == ctx.task.id, Artifact.role == "output",
                                                   Artifact.kind == "page")).first() is not None


REGISTRY: dict[str, tuple[Callable[[StepContext], StepResult], tuple[str, ...]]] = {
    "optimize": (optimize, (PDF, RASTER)),
    "convert": (convert, (PDF, RASTER)),
    "upscale": (upscale, (RASTER,)),
    "removebg": (removebg, (RASTER,)),
    "split_pages": (split_pages, (PDF,)),
}


def output_name(name: str, current: Path) -> str:
    """The delivered file's name: the upload's, with the extension of what is delivered."""
    stem, dot, ext = name.rpartition(".")
    suffix = current.suffix.lower()
    if not suffix or (dot and "." + ext.lower() == suffix):
        return name
    return f"{stem if dot else name}{suffix}"
