"""``run_autofix``: apply the registered fix for every auto-fixable finding of a preflight report."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes.raster import RasterDoc, is_raster
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, FixSpec, resolve
from printgate.core.fixes.workdoc import WorkDoc

log = logging.getLogger(__name__)

# Told (what is running, pages done, pages in all) as autofix works: the fix's strategy with
# ``None, None`` when it starts, then page counts from the fixes that work page by page. The caller
# passes it down (the CLI draws a bar from it); nothing is global.
FixProgress = Callable[[str, "int | None", "int | None"], None]


def _findings(report: dict) -> list[dict]:
    """Findings from a bare report, ``{report: ...}`` or a preflight result entry."""
    if "evaluation" not in report and isinstance(report.get("report"), dict):
        report = report["report"]
    evaluation = report.get("evaluation") or {}
    return [f for f in evaluation.get("findings") or [] if isinstance(f, dict)]


def _selected(finding: dict, items: list[str] | None) -> bool:
    if items is None:
        return True
    autofix = finding.get("autofix") or {}
    keys = {finding.get("ruleId"), finding.get("checkId"), autofix.get("strategy")}
    return bool(keys & set(items))


def _pages(finding: dict) -> list[int] | None:
    pages = finding.get("pages")
    if isinstance(pages, list) and pages:
        return [int(p) for p in pages]
    page = finding.get("page")
    return [int(page)] if isinstance(page, int) else None


def plan(report: dict, profile: dict | None, items: list[str] | None,
         kind: str = "pdf") -> tuple[list[tuple[FixSpec, FixRequest]], list[dict]]:
    """Group auto-fixable findings into one request per (strategy, params), ordered as fixes must run."""
    groups: dict[tuple[str, str], tuple[FixSpec, FixRequest]] = {}
    skipped: list[dict] = []
    for finding in _findings(report):
        if not _selected(finding, items):
            continue
        autofix = finding.get("autofix") or {}
        rule_id = str(finding.get("ruleId") or finding.get("checkId") or "?")
        strategy = autofix.get("strategy")
        if not autofix.get("available") or not strategy:
            if items is not None:
                skipped.append({"ruleId": rule_id, "strategy": strategy, "reason": "this finding has no automatic fix"})
            continue
        found = resolve(str(strategy), kind)
        if items is None and autofix.get("scheduled") is False and not (found and found[0].when_offered):
            # The profile only warns (or rejects) here; fixing is opt-in through ``items``.
            skipped.append({"ruleId": rule_id, "strategy": strategy,
                            "reason": "not scheduled: the profile's action for this check is not auto-fix"})
            continue
        if found is None:
            skipped.append({"ruleId": rule_id, "strategy": strategy, "reason": f"no fix is registered for strategy {strategy!r}"})
            continue
        spec, implied = found
        # Preflight schedules by the profile's action, documented defaults included; for these fixes
        # only the profile's own word counts. (A report without schedules is the caller's own list.)
        if (items is None and spec.needs_profile and autofix.get("scheduled") is True
                and not profile_asks(profile, spec.needs_profile)):
            skipped.append({"ruleId": rule_id, "strategy": spec.strategy, "reason": (
                f"not run: {spec.strategy} changes how the whole file is built, so it runs only when the profile "
                f"sets {spec.needs_profile[0]} to autofix (or the fix is asked for by name)")})
            continue
        params = {**spec.default_params, **implied, **(autofix.get("params") or {})}
        key = (spec.strategy, json.dumps(params, sort_keys=True, default=str))
        pages = _pages(finding)
        if key not in groups:
            groups[key] = (spec, FixRequest(spec.strategy, params, pages, [rule_id], profile, [finding]))
        else:
            req = groups[key][1]
            req.findings.append(finding)
            if rule_id not in req.rule_ids:
                req.rule_ids.append(rule_id)
            req.pages = None if req.pages is None or pages is None else sorted(set(req.pages) | set(pages))
    ordered = sorted(groups.values(), key=lambda item: item[0].order)
    return ordered, skipped


_AUTOFIX_ACTIONS = {"autofix", "fix", "auto-fix", "auto_fix"}


def profile_asks(profile: dict | None, check_ids: tuple[str, ...]) -> bool:
    """Does ``profile`` itself set one of ``check_ids`` to autofix (in ``checks`` or a page rule)?

    The documented defaults (no profile) never ask: they are nobody's request.
    """
    if not isinstance(profile, dict):
        return False
    tables = [profile.get("checks")] + [r.get("checks") for r in profile.get("pageRules") or [] if isinstance(r, dict)]
    for table in tables:
        if not isinstance(table, dict):
            continue
        for key, entry in table.items():
            if key not in check_ids:
                continue
            action = entry if isinstance(entry, str) else entry.get("action") if isinstance(entry, dict) else None
            if isinstance(entry, dict) and entry.get("enabled") is False:
                action = None
            if str(action or "").lower() in _AUTOFIX_ACTIONS:
                return True
    return False


def apply_fixes(doc: Any, planned: list[tuple[FixSpec, FixRequest]],
                measure: Callable[[], int] | None = None,
                progress: FixProgress | None = None) -> tuple[list[dict], list[dict]]:
    """Run each planned fix; with ``measure``, record the document's size after each one that applied
    (``bytesAfter`` on its entries) so growth can be pinned on the fix that caused it; ``progress``
    hears which fix runs and how far through the pages it is."""
    applied: list[dict] = []
    skipped: list[dict] = []
    for n, (spec, req) in enumerate(planned):
        if progress is not None:
            _tell(progress, spec.strategy, None, None)
            req.on_pages = _pages_to(progress, spec.strategy)
        try:
            outcome = spec.fn(doc, req)
        except FixSkipped as exc:
            reason = exc.reason
            if exc.satisfied and applied:
                reason = f"resolved by an earlier fix ({reason})"
            skipped.extend({"ruleId": r, "strategy": spec.strategy, "reason": reason} for r in req.rule_ids)
            continue
        except ExternalToolError as exc:
            skipped.extend({"ruleId": r, "strategy": spec.strategy, "reason": str(exc)} for r in req.rule_ids)
            continue
        except Exception as exc:  # one broken fix must not take the others (or the job) down
            log.exception("fix %s failed on %s", spec.strategy, getattr(doc, "src", "?"))
            reason = f"the fix failed on this file ({type(exc).__name__}: {exc})"
            skipped.extend({"ruleId": r, "strategy": spec.strategy, "reason": reason} for r in req.rule_ids)
            continue
        result = outcome if isinstance(outcome, FixResult) else FixResult(str(outcome))
        pages = result.pages if result.pages is not None else req.pages
        entries: list[dict[str, Any]] = [
            {"ruleId": r, "strategy": spec.strategy, "pages": pages, "detail": result.detail} for r in req.rule_ids
        ]
        # The last fix is measured by the caller's final save.
        size = _measure(measure) if measure is not None and n < len(planned) - 1 else None
        why = result.why_larger or _WHY_LARGER.get(spec.strategy)
        for entry in entries:
            entry["_why"] = why
            if size is not None:
                entry["bytesAfter"] = size
        applied.extend(entries)
    return applied, _dedupe(skipped)


def _tell(progress: FixProgress, what: str, done: int | None, total: int | None) -> None:
    try:
        progress(what, done, total)
    except Exception:  # a progress display must never cost the fix
        log.debug("progress callback failed", exc_info=True)


def _pages_to(progress: FixProgress, strategy: str) -> Callable[[int, int], None]:
    return lambda done, total: _tell(progress, strategy, done, total)


def _measure(measure: Callable[[], int]) -> int | None:
    try:
        return measure()
    except Exception:  # a size probe must never cost the fix; that step is then not attributed
        log.warning("could not measure the document after a fix", exc_info=True)
        return None


# What makes each fix add bytes, for the size note (a FixResult's ``why_larger`` takes precedence).
_WHY_LARGER = {
    "add_bleed": "the bleed is made of image strips rendered from the page edges at 300 dpi",
    "outline_text": "the text became vector outlines, one shape per glyph",
    "convert_to_cmyk": "colour images now carry four channels (CMYK) and the print condition's ICC profile is embedded",
    "embed_fonts": "the missing font programs are now in the file",
    "flatten_transparency": "transparent areas were composited into images at 300 dpi",
    "spot_to_process": "spot colour images were rewritten in process colours",
    "set_output_intent": "the output intent's ICC profile is embedded",
    "split_spreads": "each half page keeps the resources of the whole spread",
    "downsample_images": "images were re-encoded",
    "recompress_images": "images were re-encoded with the filter the profile asks for",
}

SIZE_LIMIT = 1.5  # a fixed file may be at most this many times its upload, unless bleed images were added


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def size_report(input_bytes: int, output_bytes: int, applied: list[dict], *, bleed_images: bool) -> dict[str, Any]:
    """The size block of an autofix result: ratio, the growth of each fix, and -- when the file
    outgrew :data:`SIZE_LIMIT` -- a reason naming the fixes that grew it and by how much."""
    ratio = output_bytes / max(input_bytes, 1)
    steps: list[dict[str, Any]] = []
    before = input_bytes
    seen: set[str] = set()
    for entry in applied:
        if entry["strategy"] in seen or "bytesAfter" not in entry:
            continue
        seen.add(entry["strategy"])
        after = int(entry["bytesAfter"])
        steps.append({"strategy": entry["strategy"], "bytesBefore": before, "bytesAfter": after,
                      "growthBytes": after - before, "why": entry.get("_why")})
        before = after
    within = ratio <= SIZE_LIMIT
    out: dict[str, Any] = {
        "inputBytes": input_bytes, "outputBytes": output_bytes, "ratio": round(ratio, 2), "limit": SIZE_LIMIT,
        "withinLimit": within, "bleedImagesAdded": bleed_images, "steps": steps, "reason": None,
    }
    if within:
        return out
    growers = sorted((s for s in steps if s["growthBytes"] > 0), key=lambda s: -s["growthBytes"])
    parts = [f"{s['strategy']} +{_mb(s['growthBytes'])}" + (f" ({s['why']})" if s["why"] else "") for s in growers]
    reason = (f"the fixed file is {ratio:.1f}x the upload ({_mb(input_bytes)} -> {_mb(output_bytes)}; "
              f"limit {SIZE_LIMIT:g}x): " + ("; ".join(parts) if parts else "no single fix grew it measurably"))
    if bleed_images:
        reason += "; allowed because bleed had to be generated as images"
    out["reason"] = reason
    for entry in applied:
        step = next((s for s in growers if s["strategy"] == entry["strategy"]), None)
        if step is not None:
            entry["sizeNote"] = (f"grew the file by {_mb(step['growthBytes'])} "
                                 f"({_mb(step['bytesBefore'])} -> {_mb(step['bytesAfter'])})"
                                 + (f": {step['why']}" if step["why"] else ""))
    return out


def _measure_last(applied: list[dict], output_bytes: int) -> None:
    """The fix that ran last (or the only one) is measured by the output file itself."""
    for entry in applied:
        entry.setdefault("bytesAfter", output_bytes)


def _finish(applied: list[dict]) -> list[dict]:
    for entry in applied:
        entry.pop("_why", None)
    return applied


def _dedupe(entries: list[dict]) -> list[dict]:
    seen: set[tuple] = set()
    out = []
    for entry in entries:
        key = (entry.get("ruleId"), entry.get("strategy"), entry.get("reason"))
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def run_autofix(src: Path, dst: Path, report: dict, profile: dict | None, *, items: list[str] | None = None,
                progress: FixProgress | None = None) -> dict[str, Any]:
    """Fix ``src`` into ``dst`` for the report's auto-fixable findings (or only ``items``: ruleIds,
    checkIds or strategies). ``src`` is never modified; ``dst`` is written only when something changed.
    A fixed result carries ``size`` (:func:`size_report`): how each fix changed the file's size, and
    why when it outgrew :data:`SIZE_LIMIT`.

    ``progress`` (:data:`FixProgress`) hears which fix runs and, for page-by-page fixes, how far it is.

    Raises ``printgate.core.errors.UnreadableFile`` when the file cannot be opened at all.
    """
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError("dst must differ from src: the source file is never modified")
    if is_raster(src):
        return _run_raster(src, dst, report, profile, items, progress)
    planned, skipped = plan(report, profile, items)
    skipped = _dedupe(skipped)
    if not planned:
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    input_bytes = src.stat().st_size
    with tempfile.TemporaryDirectory(prefix="printgate-fix-") as tmp:
        doc = WorkDoc(src, Path(tmp))
        try:
            applied, more = apply_fixes(doc, planned, measure=doc.current_size, progress=progress)
            skipped = _dedupe(skipped + more)
            if not applied:
                return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
            out = Path(tmp) / "final.pdf"
            if progress is not None:
                _tell(progress, "saving", None, None)
            doc.save(out)
            output_bytes = out.stat().st_size
            _measure_last(applied, output_bytes)
            size = size_report(input_bytes, output_bytes, applied, bleed_images=doc.bleed_images_added)
            moved = {i + 1: list(m) for i, m in sorted(doc.page_transforms.items())}
            sources = {i + 1: s + 1 for i, s in enumerate(doc.page_sources)} if doc.page_sources is not None else {}
        finally:
            doc.close()
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out), dst)
    log.info("autofix %s: applied %s; %s", src.name, [a["strategy"] for a in applied],
             size["reason"] or f"size {size['ratio']}x")
    # ``pageTransforms``: page number -> the matrix that maps the upload's user space onto the fixed
    # file's (rotation baked in, a tool's move of the page origin), for rectangles a report measured.
    # ``pageSources``: the fixed file's page number -> the upload's, when a fix changed the page count.
    return {"outcome": "fixed", "applied": _finish(applied), "skipped": skipped, "output": dst, "size": size,
            "pageTransforms": moved, "pageSources": sources}


def _run_raster(src: Path, dst: Path, report: dict, profile: dict | None, items: list[str] | None,
                progress: FixProgress | None = None) -> dict[str, Any]:
    planned, skipped = plan(report, profile, items, kind="raster")
    if not planned:
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    doc = RasterDoc(src)
    applied, more = apply_fixes(doc, planned, progress=progress)
    skipped.extend(more)
    if not applied:
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    try:
        doc.save(tmp)
    except FixSkipped as exc:
        tmp.unlink(missing_ok=True)
        skipped.extend({**a, "reason": exc.reason} for a in _finish(applied))
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    tmp.replace(dst)
    if len({a["strategy"] for a in applied}) == 1:  # raster fixes are not measured one by one
        _measure_last(applied, dst.stat().st_size)
    size = size_report(src.stat().st_size, dst.stat().st_size, applied, bleed_images=False)
    return {"outcome": "fixed", "applied": _finish(applied), "skipped": skipped, "output": dst, "size": size}
