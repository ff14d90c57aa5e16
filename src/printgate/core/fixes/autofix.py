"""``run_autofix``: apply the registered fix for every auto-fixable finding of a preflight report."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes.raster import RasterDoc, is_raster
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, FixSpec, resolve
from printgate.core.fixes.workdoc import WorkDoc

log = logging.getLogger(__name__)


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
        if items is None and autofix.get("scheduled") is False:
            # The profile only warns (or rejects) here; fixing is opt-in through ``items``.
            skipped.append({"ruleId": rule_id, "strategy": strategy,
                            "reason": "not scheduled: the profile's action for this check is not auto-fix"})
            continue
        found = resolve(str(strategy), kind)
        if found is None:
            skipped.append({"ruleId": rule_id, "strategy": strategy, "reason": f"no fix is registered for strategy {strategy!r}"})
            continue
        spec, implied = found
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


def apply_fixes(doc: Any, planned: list[tuple[FixSpec, FixRequest]]) -> tuple[list[dict], list[dict]]:
    applied: list[dict] = []
    skipped: list[dict] = []
    for spec, req in planned:
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
        applied.extend(
            {"ruleId": r, "strategy": spec.strategy, "pages": pages, "detail": result.detail} for r in req.rule_ids
        )
    return applied, _dedupe(skipped)


def _dedupe(entries: list[dict]) -> list[dict]:
    seen: set[tuple] = set()
    out = []
    for entry in entries:
        key = (entry.get("ruleId"), entry.get("strategy"), entry.get("reason"))
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def run_autofix(src: Path, dst: Path, report: dict, profile: dict | None, *, items: list[str] | None = None) -> dict[str, Any]:
    """Fix ``src`` into ``dst`` for the report's auto-fixable findings (or only ``items``: ruleIds,
    checkIds or strategies). ``src`` is never modified; ``dst`` is written only when something changed.

    Raises ``printgate.core.errors.UnreadableFile`` when the file cannot be opened at all.
    """
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError("dst must differ from src: the source file is never modified")
    if is_raster(src):
        return _run_raster(src, dst, report, profile, items)
    planned, skipped = plan(report, profile, items)
    skipped = _dedupe(skipped)
    if not planned:
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    with tempfile.TemporaryDirectory(prefix="printgate-fix-") as tmp:
        doc = WorkDoc(src, Path(tmp))
        try:
            applied, more = apply_fixes(doc, planned)
            skipped = _dedupe(skipped + more)
            if not applied:
                return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
            out = Path(tmp) / "final.pdf"
            doc.save(out)
        finally:
            doc.close()
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out), dst)
    log.info("autofix %s: applied %s", src.name, [a["strategy"] for a in applied])
    return {"outcome": "fixed", "applied": applied, "skipped": skipped, "output": dst}


def _run_raster(src: Path, dst: Path, report: dict, profile: dict | None, items: list[str] | None) -> dict[str, Any]:
    planned, skipped = plan(report, profile, items, kind="raster")
    if not planned:
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    doc = RasterDoc(src)
    applied, more = apply_fixes(doc, planned)
    skipped.extend(more)
    if not applied:
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    try:
        doc.save(tmp)
    except FixSkipped as exc:
        tmp.unlink(missing_ok=True)
        skipped.extend({**a, "reason": exc.reason} for a in applied)
        return {"outcome": "unchanged", "applied": [], "skipped": skipped, "output": None}
    tmp.replace(dst)
    return {"outcome": "fixed", "applied": applied, "skipped": skipped, "output": dst}
