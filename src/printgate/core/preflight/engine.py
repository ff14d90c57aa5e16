"""run_preflight: file -> facts -> checks -> the Filecheck-shaped report."""

from __future__ import annotations

import logging
import math
import os
import pickle
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.errors import UnreadableFile

from .catalog import CheckSpec, DocContext, PageContext, SkipCheck, registry
from .checks.color import ink_limit
from .checks.geometry import target_sizes
from .messages import RULE_MESSAGES, fill
from .model import DocFacts, FontInfo, PageFacts, Violation, pt_to_mm, r1
from .pdf.geometry import round_rect
from .pdf.reader import DocumentReader, detect_kind, open_pdf, page_count
from .pdf.repair import BENIGN_WARNINGS, Assessment, is_loss, open_document
from .profiles import CheckConfig, Plan, build_plan
from .progress import PageProgress, ProgressTicker
from .report import Evaluation, EvaluationSummary, PreflightReport
from .tac import InkPlan, TacRenderer

log = logging.getLogger(__name__)

PARALLEL_MIN_PAGES = 48
PARALLEL_MIN_BYTES = 2_000_000  # smaller files are read faster than a worker starts
MAX_PAGES = 10_000
# Content analysis per file, in seconds; later pages get geometry only. None: the settings'
# ``analysis_budget_s``, derived from the intake job's timeout so this fallback runs before the kill.
TIME_BUDGET_S: float | None = None


def _time_budget_s() -> float:
    if TIME_BUDGET_S is not None:
        return TIME_BUDGET_S
    from printgate.core.config import get_settings

    return get_settings().analysis_budget_s


def _deadline(pages: int) -> float:
    """When content analysis stops. The budget only ever cuts later pages (a budget from the
    settings is positive, so the first page is always read): a one-page file needs no settings,
    which keeps them out of a local one-file check's start-up."""
    if pages == 1 and TIME_BUDGET_S is None:
        return math.inf
    return time.monotonic() + _time_budget_s()


def warm_up() -> None:
    """Import the renderer now (PyMuPDF takes ~1-2 s to import) so the first intake is fast.

    Call once in a worker process before forking per-job children.
    """
    import pymupdf  # noqa: F401


def run_preflight(
    path: Path | str,
    profile: dict[str, Any] | None = None,
    *,
    source_name: str,
    context: dict[str, Any] | None = None,
    workers: int | None = None,
    progress: PageProgress | None = None,
) -> dict[str, Any]:
    """``preflight_report`` as the wire's JSON (``PreflightReport.to_wire``): for scripts and tests."""
    return preflight_report(path, profile, source_name=source_name, context=context, workers=workers,
                            progress=progress).to_wire()


def preflight_report(
    path: Path | str,
    profile: dict[str, Any] | None = None,
    *,
    source_name: str,
    context: dict[str, Any] | None = None,
    workers: int | None = None,
    progress: PageProgress | None = None,
) -> PreflightReport:
    """Preflight one file. Raises ``UnreadableFile`` when it cannot be checked at all.

    ``workers``: processes for page extraction; ``None`` = automatic (both cores on big PDFs).
    ``progress(done, total)``: told the pages read so far, at most about once a second, and at the end.
    """
    path = Path(path)
    kind = detect_kind(path)
    plan = build_plan(profile, kind)
    ctx = dict(context or {})
    if kind == "raster":
        from .raster import raster_facts  # numpy and Pillow: only for raster files

        doc = raster_facts(path)
        return _evaluate(plan, doc, [], ctx, source_name, [])
    return _run_pdf(path, plan, ctx, source_name, workers, progress)


# --------------------------------------------------------------------------- extraction


def _run_pdf(path: Path, plan: Plan, ctx: dict[str, Any], source_name: str, workers: int | None,
             progress: PageProgress | None = None) -> PreflightReport:
    size = path.stat().st_size
    # A clean file comes back as it opened; a damaged one as the least lossy reconstruction, whose
    # copy (``src``) every reader below uses: workers, the ink renderer.
    opened = open_document(path)
    pdf, src = opened.pdf, opened.path
    try:
        n = page_count(pdf)
        if n > MAX_PAGES:
            raise UnreadableFile(f"The PDF has {n} pages; at most {MAX_PAGES} pages can be checked.")
        reader = DocumentReader(pdf)
        reader.trim_sizes = target_sizes({}, ctx)
        try:
            doc = reader.doc_facts(src, size)
            doc.source_path = path
        except (RecursionError, RuntimeError, pikepdf.PdfError) as exc:
            raise UnreadableFile("The PDF's structure is damaged beyond repair and can't be read.") from exc
        doc.page_count = n
        configs = plan.for_pages(n)
        ink = _ink_plan(configs, doc)
        nworkers = _worker_count(workers, n, size)
        deadline = _deadline(n)
        ticker = ProgressTicker(progress, n)
        ticker.start()
        if nworkers > 1:
            pdf.close()
            pages, extra_warnings = _extract_parallel(src, n, nworkers, ink, doc, reader.trim_sizes, deadline, ticker)
        else:
            pages = _extract_pages(pdf, reader, src, 0, n, doc, ink, deadline, ticker)
            extra_warnings = list(reader.warnings)
            extra_warnings += [str(w) for w in pdf.get_warnings()]
        extra_warnings = opened.warnings + extra_warnings  # qpdf's get_warnings() cleared them at open
    except (UnreadableFile, MemoryError):
        raise  # MemoryError: the job's memory cap; the runner gives the reason
    except RecursionError as exc:
        raise UnreadableFile("The PDF is too deeply nested or too large to be analysed.") from exc
    finally:
        try:
            pdf.close()
        except Exception:
            pass
        opened.cleanup()
    doc.structure_warnings = _dedupe(
        w for w in (_clean_warning(x, path, src) for x in doc.structure_warnings + extra_warnings) if w
    )
    _record_losses(doc, pages, opened.repair)
    skipped_pages = [p.page for p in pages if not p.inspected]
    if skipped_pages:
        doc.notes.append(
            {
                "code": "time_limit",
                "message": f"Analysis time limit reached: {len(skipped_pages)} page(s) from page "
                f"{skipped_pages[0]} on were checked for geometry only.",
                "pages": skipped_pages[:100],
            }
        )
    report = _evaluate(plan, doc, pages, ctx, source_name, configs)
    if skipped_pages and report.outcome == "pass":
        report.outcome = "warn"  # a page whose content was not checked is never a pass
    _refuse_unjudged(report, doc)
    return report


def _record_losses(doc: DocFacts, pages: list[PageFacts], repair: Assessment | None) -> None:
    """Gather what the file lost and the filters nobody decodes, from the reconstruction, the pages'
    decoding and qpdf's words, into the facts the structure check judges."""
    lost: list[str] = []
    unsupported: list[str] = []
    if repair is not None:
        doc.repair = repair.fact()
        lost.extend(repair.lost)
        unsupported.extend(repair.unsupported)
    already_verified = repair is not None and repair.verified  # every page stream was decoded then
    for p in pages:
        unsupported.extend(p.unsupported_filters)
        if not already_verified:
            lost.extend(f"page {p.page}: {b}" for b in p.broken_streams)
    lost.extend(w for w in doc.structure_warnings if is_loss(w))
    doc.content_lost = _dedupe(lost)
    doc.unsupported_filters = sorted(set(unsupported))


def _refuse_unjudged(report: PreflightReport, doc: DocFacts) -> None:
    """Lost content or an unsupported compression never passes: when the structure check is off
    for the profile (or its page) or could not run, the file is refused as unreadable instead."""
    rejected = report.rejected_rules()
    if doc.unsupported_filters and "compression_unsupported" not in rejected:
        names = ", ".join(doc.unsupported_filters)
        raise UnreadableFile(fill(RULE_MESSAGES["compression_unsupported"]["issue"], {"actual.filters": names}, {}) or "")
    if doc.content_lost and "content_lost" not in rejected:
        raise UnreadableFile(RULE_MESSAGES["content_lost"]["issue"])


def _ink_plan(configs: list[dict[str, CheckConfig]], doc: DocFacts) -> InkPlan:
    """Which pages the ink-coverage check measures, at what limit and resolution."""
    limits = {i: ink_limit(cfg["ink_coverage"][1]) for i, cfg in enumerate(configs)
              if cfg.get("ink_coverage", ("off", {}))[0] != "off"}
    dpi = max((float(cfg["ink_coverage"][1].get("dpi") or 36) for cfg in configs if "ink_coverage" in cfg), default=36.0)
    # An RGB output intent becomes the renderer's default RGB space: RGB colours are then rendered
    # (a CMYK one changes DeviceCMYK sources only, not how RGB lands in the CMYK render).
    rgb_exact = all(oi.get("profile") is None or oi.get("components") in (1, 4) for oi in doc.output_intents)
    return InkPlan(limits=limits, dpi=dpi, rgb_exact=rgb_exact)


def _extract_pages(pdf: pikepdf.Pdf, reader: DocumentReader, path: Path, start: int, stop: int, doc: DocFacts,
                   ink: InkPlan, deadline: float, ticker: ProgressTicker | None = None) -> list[PageFacts]:
    """Facts for pages [start, stop); past the deadline only boxes and annotations are read."""
    out: list[PageFacts] = []
    limits = ink.limits
    renderer = TacRenderer(path, ink.dpi) if any(i in limits for i in range(start, stop)) else None
    try:
        for i in range(start, stop):
            content = time.monotonic() < deadline
            facts = reader.safe_page_facts(i, pdf.pages[i], doc, content)
            if renderer is not None and content and i in limits:
                renderer.measure(i, facts, limits[i], ink.rgb_exact)
            facts.tac_rgb.clear()  # measured: no need to keep (or send back) a page's colours
            out.append(facts)
            if ticker is not None:
                ticker.advance()
    finally:
        if renderer is not None:
            renderer.close()
    return out


def _worker_count(workers: int | None, n: int, size: int = 0) -> int:
    """Forked workers cost a fork, a second open and their own caches: they pay only on a file with
    enough content and only with idle cores (on a busy machine they were slower than one)."""
    if workers is not None:
        return max(1, min(int(workers), n))
    cpus = os.cpu_count() or 1
    if n < PARALLEL_MIN_PAGES or size < PARALLEL_MIN_BYTES or cpus < 2:
        return 1
    try:
        idle = cpus - os.getloadavg()[0]
    except OSError:
        idle = cpus
    return max(1, min(cpus, 4, int(idle + 0.5)))


def _extract_chunk(path: str, start: int, stop: int, ink: InkPlan,
                   trim_sizes: list[tuple[float, float]], deadline: float,
                   ticker: ProgressTicker | None = None) -> tuple[list[PageFacts], dict[str, FontInfo], list[str], list[str], list[str]]:
    pdf = open_pdf(Path(path))
    try:
        reader = DocumentReader(pdf)
        reader.trim_sizes = trim_sizes
        local = DocFacts(kind="pdf", size_bytes=0)
        out = _extract_pages(pdf, reader, Path(path), start, stop, local, ink, deadline, ticker)
        warnings = list(reader.warnings) + [str(w) for w in pdf.get_warnings()]
        return out, local.fonts, local.javascript, local.attachments, warnings
    finally:
        pdf.close()


class _WorkerDoc:
    """A page-range worker's open document, kept across its chunks (caches, renderer)."""

    def __init__(self, path: str, tac_dpi: float, trim_sizes: list[tuple[float, float]]) -> None:
        self.pdf = open_pdf(Path(path))
        self.reader = DocumentReader(self.pdf)
        self.reader.trim_sizes = trim_sizes
        self.renderer = TacRenderer(Path(path), tac_dpi)


_WORKER_DOCS: dict[tuple[str, float], _WorkerDoc] = {}


def _extract_chunk_kept(path: str, start: int, stop: int, ink: InkPlan,
                        trim_sizes: list[tuple[float, float]], deadline: float) -> tuple[list[PageFacts], dict[str, FontInfo], list[str], list[str], list[str]]:
    """One chunk of pages in a pool worker, reusing the document it opened for earlier chunks."""
    state = _WORKER_DOCS.get((path, ink.dpi))
    if state is None:
        state = _WORKER_DOCS[(path, ink.dpi)] = _WorkerDoc(path, ink.dpi, trim_sizes)
    reader, pdf, renderer = state.reader, state.pdf, state.renderer
    local = DocFacts(kind="pdf", size_bytes=0)
    seen = len(reader.warnings)
    out: list[PageFacts] = []
    for i in range(start, stop):
        content = time.monotonic() < deadline
        facts = reader.safe_page_facts(i, pdf.pages[i], local, content)
        if content and i in ink.limits:
            renderer.measure(i, facts, ink.limits[i], ink.rgb_exact)
        facts.tac_rgb.clear()
        out.append(facts)
    qpdf = [str(w) for w in pdf.get_warnings()]  # only the new ones: get_warnings() clears them
    warnings = reader.warnings[seen:] + qpdf
    return out, local.fonts, local.javascript, local.attachments, warnings


def _chunks(n: int, workers: int) -> list[tuple[int, int]]:
    """Page ranges small enough that the workers stay busy to the end (pages differ in cost)."""
    step = max(4, min(32, -(-n // (workers * 6))))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _extract_parallel(path: Path, n: int, workers: int, ink: InkPlan, doc: DocFacts,
                      trim_sizes: list[tuple[float, float]], deadline: float,
                      ticker: ProgressTicker | None = None) -> tuple[list[PageFacts], list[str]]:
    ranges = _chunks(n, workers)
    mp: Any
    try:
        mp = get_context("fork")
    except ValueError:
        mp = get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(ranges)), mp_context=mp) as pool:
            futures = {pool.submit(_extract_chunk_kept, str(path), a, b, ink, trim_sizes, deadline): k
                       for k, (a, b) in enumerate(ranges)}
            by_chunk: dict[int, Any] = {}
            for fut in as_completed(futures):
                k = futures[fut]
                by_chunk[k] = fut.result()
                if ticker is not None:
                    ticker.advance(ranges[k][1] - ranges[k][0])
            results = [by_chunk[k] for k in range(len(ranges))]
    except UnreadableFile:
        raise
    except (BrokenProcessPool, OSError, pickle.PicklingError) as exc:
        # No processes available (sandbox, killed worker): same work, in this process.
        log.warning("preflight workers unavailable (%s); extracting serially", exc)
        results = [_extract_chunk(str(path), 0, n, ink, trim_sizes, deadline)]
        if ticker is not None:
            ticker.finish()
    pages: list[PageFacts] = []
    warnings: list[str] = []
    for facts, fonts, js, att, warns in results:
        pages.extend(facts)
        for key, info in fonts.items():
            doc.fonts.setdefault(key, info)
        doc.javascript.extend(js)
        doc.attachments.extend(att)
        warnings.extend(warns)
    return pages, warnings


def _clean_warning(text: str, path: Path, src: Path | None = None) -> str | None:
    """Drop benign parser chatter (``repair.BENIGN_WARNINGS``) and the server-side file path (of
    the upload or its repaired copy) from qpdf's messages."""
    if any(b in text for b in BENIGN_WARNINGS):
        return None
    for p in (path, src) if src is not None and src != path else (path,):
        text = text.replace(str(p), "").replace(p.name, "")
    text = text.lstrip(" :,")
    return text or None


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for it in items:
        seen.setdefault(it, None)
    return list(seen)[:200]


# --------------------------------------------------------------------------- evaluation

SEVERITY = {"reject": "reject", "warn": "warn", "autofix": "warn"}


def _finding(spec: CheckSpec, v: Violation, action: str, settings: dict[str, Any]) -> dict[str, Any]:
    severity = v.severity or SEVERITY.get(action, "warn")
    out: dict[str, Any] = {
        "sectionId": spec.section,
        "checkId": spec.id,
        "ruleId": v.rule_id or spec.rule_id,
        "severity": severity,
        "action": action,
        "target": v.target or spec.target,
    }
    if v.page is not None:
        out["page"] = v.page
    for unit, value in v.measured.items():
        out[f"measured_{unit}"] = value
    for unit, value in v.required.items():
        out[f"required_{unit}"] = value
    out.update(v.extra)
    fixable = spec.autofix_strategy is not None and v.autofix
    if fixable:
        out["autofix"] = {
            "available": True,
            "runner": spec.autofix_runner,
            "strategy": spec.autofix_strategy,
            "params": v.autofix_params if v.autofix_params is not None else {},
            "scheduled": action == "autofix",
        }
    else:
        out["autofix"] = {"available": False}
    out["locate"] = {"boxes": [{"page": pg, "rect": round_rect(r)} for pg, r in v.rects[:20]]}
    msgs = RULE_MESSAGES.get(out["ruleId"]) or spec.messages
    out["issue"] = fill(msgs.get("issue"), v.values, settings)
    out["fix"] = fill(msgs.get("fix"), v.values, settings)
    if fixable and msgs.get("autofix"):
        out["autofixMessage"] = fill(msgs.get("autofix"), v.values, settings)
    return out


def _evaluate(
    plan: Plan,
    doc: DocFacts,
    pages: list[PageFacts],
    ctx: dict[str, Any],
    source_name: str,
    configs: list[dict[str, CheckConfig]],
) -> PreflightReport:
    reg = registry()
    specs = [s for s in reg.values() if s.kind == doc.kind and s.id in plan.base]
    findings: list[dict[str, Any]] = []
    ran: set[str] = set()
    failed: set[str] = set()
    skipped: dict[str, str] = {}
    skipped_pages: dict[str, list[int]] = {}
    errors: list[dict[str, Any]] = list(plan.notes) + list(doc.notes)

    def record(spec: CheckSpec, vs: Iterable[Violation] | None, fallback: tuple[str, dict[str, Any]]) -> None:
        ran.add(spec.id)
        for v in vs or []:
            action, settings = fallback
            if v.page is not None and configs and spec.scope == "document":
                action, settings = configs[v.page - 1].get(spec.id, fallback)
                if action == "off":
                    continue
            findings.append(_finding(spec, v, action, settings))
            failed.add(spec.id)

    def guarded(spec: CheckSpec, arg: Any, settings: dict[str, Any]) -> Iterable[Violation] | None:
        try:
            return spec.fn(arg, settings)
        except SkipCheck as exc:
            skipped.setdefault(spec.id, exc.reason)
            if isinstance(arg, PageContext):
                skipped_pages.setdefault(spec.id, []).append(arg.page.page)
            return None
        except Exception as exc:  # one broken check must not sink the report
            log.exception("preflight check %s failed", spec.id)
            errors.append({"code": "check_error", "checkId": spec.id, "message": str(exc)[:200]})
            # ...nor pass it: a check that could not judge the file is a finding at its action.
            page = arg.page.page if isinstance(arg, PageContext) else None
            return [Violation(page=page, rule_id="check_not_run", autofix=False, values={"check.title": spec.title},
                              extra={"reason": f"check could not run ({type(exc).__name__})"})]

    page_specs = [s for s in specs if s.scope == "page"]
    for facts, cfg in zip(pages, configs, strict=False):
        for spec in page_specs:
            action, settings = cfg[spec.id]
            if action == "off":
                continue
            vs = guarded(spec, PageContext(facts, doc, ctx), settings)
            if vs is not None:
                record(spec, vs, (action, settings))
    for spec in specs:
        if spec.scope != "document":
            continue
        action, settings = plan.base[spec.id]
        any_on = action != "off" or any(c[spec.id][0] != "off" for c in configs)
        if not any_on:
            continue
        page_cfgs = [c[spec.id] for c in configs]
        vs = guarded(spec, DocContext(doc, pages, ctx, page_cfgs), settings)
        if vs is not None:
            record(spec, vs, (action, settings) if action != "off" else next(c for c in page_cfgs if c[0] != "off"))

    # A check that could not run on some pages has not passed the file, even if it found nothing on the others:
    # it is listed as skipped, its reason naming those pages (findings it made elsewhere still count).
    passed = [s.id for s in specs if s.id in ran and s.id not in failed and s.id not in skipped]
    skipped_ids = [s.id for s in specs if s.id in skipped and s.id not in failed]
    for sid in skipped_ids:
        if sid in ran and sid in skipped_pages:
            skipped[sid] = f"{skipped[sid]} (not checked on page(s) {_page_list(skipped_pages[sid])})"
    ignored = [
        s.id
        for s in specs
        if s.id not in ran and s.id not in skipped and plan.base[s.id][0] == "off"
    ]
    n_fail = sum(1 for f in findings if f["severity"] == "reject")
    n_warn = sum(1 for f in findings if f["severity"] == "warn")
    fixable = [f for f in findings if f["autofix"]["available"]]
    evaluation = Evaluation(
        profile_id=plan.profile_id, findings=findings, passed=passed, skipped=skipped_ids,
        skipped_reasons={k: skipped[k] for k in skipped_ids}, ignored=ignored,
        summary=EvaluationSummary(
            fail=n_fail, warn=n_warn, info=sum(1 for f in findings if f["severity"] == "info"),
            ignored=len(ignored), passed=len(passed), skipped=len(skipped_ids), autofixable=len(fixable),
            autofixable_fails=sum(1 for f in fixable if f["severity"] == "reject"),
        ),
        recommended_autofix=recommended_autofix(fixable, doc.kind),
    )
    report = PreflightReport(
        source_name=source_name, size_bytes=doc.size_bytes, kind=doc.kind, errors=errors, evaluation=evaluation,
        outcome="fail" if n_fail else "warn" if n_warn else "pass", facts=_facts_block(doc, pages),
    )
    if doc.kind == "pdf":
        report.pdf = _pdf_block(doc)
        report.pages = [_page_block(p) for p in pages]
        report.fonts = _fonts_block(doc, pages)
        report.images = _images_block(pages)
        report.spot_colors = sorted({n for p in pages for n in p.spot_names})
    else:
        report.raster = {k: v for k, v in doc.raster.items() if not k.startswith("_")}
    return report


def _page_list(pages: list[int], shown: int = 10) -> str:
    more = f" and {len(pages) - shown} more" if len(pages) > shown else ""
    return ", ".join(str(p) for p in pages[:shown]) + more


# --------------------------------------------------------------------------- report blocks


def _pdf_block(doc: DocFacts) -> dict[str, Any]:
    return {
        "version": doc.version,
        "page_count": doc.page_count,
        "tagged": doc.tagged,
        "linearized": doc.linearized,
        "encrypted": doc.encrypted,
        "permissions": doc.permissions or None,
        "producer": doc.producer or None,
        "creator": doc.creator or None,
        "pdfx": doc.pdfx,
        "pdfa": doc.pdfa,
        "pdfua": doc.pdfua,
        "pdfvt": doc.pdfvt,
        "output_intents": doc.output_intents,
        "layers": doc.ocgs,
        "hidden_layers": doc.ocgs_hidden,
        "javascript": doc.javascript[:50],
        "attachments": doc.attachments[:50],
        "form_fields": doc.acroform_fields,
        "xfa": doc.xfa,
        "need_appearances": doc.need_appearances,
        "signatures": doc.signatures,
        "structure_warnings": doc.structure_warnings[:50],
        "repair": doc.repair,
    }


def _box(r: Any) -> list[float] | None:
    return round_rect(r) if r is not None else None


def _page_block(p: PageFacts) -> dict[str, Any]:
    from .checks.geometry import bleed_sides_pt

    trim = p.trim_or_media
    sides = bleed_sides_pt(p, trim)
    w, h = p.display_size_pt()
    out: dict[str, Any] = {
        "page": p.page,
        "bleed_pt": r1(min(sides.values())),
        "bleed_mm": {k: r1(pt_to_mm(v)) for k, v in sides.items()},
        "transparency": p.transparency,
        "boxes": {"media": _box(p.media), "crop": _box(p.crop), "bleed": _box(p.bleed), "trim": _box(p.trim), "art": _box(p.art)},
        "rotation": p.rotation,
        "size_mm": [r1(pt_to_mm(w)), r1(pt_to_mm(h))],
        "color_modes": sorted(p.modes),
        "spot_colors": p.spot_names,
        "min_font_size_pt": round(p.min_font_size, 2) if p.min_font_size is not None else None,
        "min_stroke_pt": round(p.min_stroke, 3) if p.min_stroke is not None else None,
        "image_count": p.image_count,
        "annotations": len(p.annotations),
    }
    if p.transparency_reasons:
        out["transparency_reasons"] = p.transparency_reasons
    if p.tac_max is not None:
        out["tac_max"] = r1(p.tac_max)
        if p.tac_bound:
            out["tac_max_is_bound"] = True  # not rendered: the page's content cannot carry more ink
    if p.content_error:
        out["content_error"] = p.content_error
    if not p.inspected:
        out["inspected"] = False
    return out


def _fonts_block(doc: DocFacts, pages: list[PageFacts]) -> list[dict[str, Any]]:
    used: dict[str, list[int]] = {}
    for p in pages:
        for key in p.font_keys:
            used.setdefault(key, []).append(p.page)
    # One entry per distinct font (several font objects with the same name and kind are merged).
    merged: dict[tuple[str, str, bool, bool], dict[str, Any]] = {}
    for key, pgs in used.items():
        info = doc.fonts.get(key)
        if info is None:
            continue
        entry = merged.setdefault(
            (info.name, info.font_type, info.embedded, info.subset),
            {
                "name": info.name,
                "baseFont": info.base_font,
                "type": info.font_type,
                "embedded": info.embedded,
                "subset": info.subset,
                "pages": [],
            },
        )
        entry["pages"] = sorted(set(entry["pages"]) | set(pgs))
    return list(merged.values())


def _images_block(pages: list[PageFacts]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in pages:
        for im in p.images:
            if len(out) >= 2000:
                return out
            out.append(
                {
                    "page": im.page,
                    "effective_dpi": round(im.effective_dpi),
                    "dpi_x": round(im.dpi_x),
                    "dpi_y": round(im.dpi_y),
                    "color_space": im.color_space,
                    "color_mode": im.mode,
                    "width_px": im.width_px,
                    "height_px": im.height_px,
                    "bits": im.bits,
                    "filters": im.filters,
                    "has_smask": im.has_smask,
                    "inline": im.inline,
                    "rect": round_rect(im.rect),
                }
            )
    return out


def _facts_block(doc: DocFacts, pages: list[PageFacts]) -> dict[str, Any]:
    """The Element's ``facts`` for this file (mm)."""
    from .checks.geometry import orientation_of

    if doc.kind == "raster":
        r = doc.raster
        w, h = r.get("width_mm"), r.get("height_mm")
        return {
            "pageCount": 1,
            "width": w,
            "height": h,
            "area": r1(w * h) if w and h else None,
            "orientation": orientation_of(w, h) if w and h else None,
            "spotColorCount": 0,
            "usesTransparency": bool(r.get("has_alpha")),
        }
    if not pages:
        return {"pageCount": doc.page_count}
    first = pages[0]
    w, h = (pt_to_mm(v) for v in first.display_size_pt())
    return {
        "pageCount": doc.page_count,
        "width": r1(w),
        "height": r1(h),
        "area": r1(w * h),
        "orientation": orientation_of(w, h),
        "spotColorCount": len({n for p in pages for n in p.spot_names}),
        "usesTransparency": any(p.transparency for p in pages),
    }


# --------------------------------------------------------------------------- recommended autofix


def _merge(dst: dict[str, Any], src: dict[str, Any]) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        elif isinstance(v, list) and isinstance(dst.get(k), list):
            dst[k].extend(x for x in v if x not in dst[k])
        else:
            dst[k] = v


def _strategy_params(strategy: str, p: dict[str, Any], page: int | None) -> dict[str, Any]:
    """Map one finding's fix onto the optimize runner's params (API.md §4.7)."""
    pages = [page] if page else []
    table: dict[str, dict[str, Any]] = {
        "mirror_bleed": {"pdf": {"bleed": {"mode": p.get("mode", "mirror"), "bleed_mm": p.get("bleed_mm", 3)}}},
        "set_trimbox": {"pdf": {"trimBox": {"pages": pages, **{k: v for k, v in p.items() if k != "box"}}}},
        "normalize_rotation": {"pdf": {"normalizeRotation": {"pages": pages}}},
        "split_spreads": {"pdf": {"splitSpreads": {"pages": p.get("split", pages)}}},
        "convert_colors": {"pdf": {"colorConversion": p}},
        "embed_fonts": {"pdf": {"fonts": {"embed": True}}},
        "subset_fonts": {"pdf": {"fonts": {"subset": True}}},
        "thicken_hairlines": {"pdf": {"hairlines": p}},
        "outline_text": {"pdf": {"textToOutlines": {"enabled": True}}},
        "downsample_images": {"pdf": {"scaleImages": p}},
        "recompress_images": {"pdf": {"compression": p}},
        "rich_black_to_k": {"pdf": {"snapRichBlack": p or {"enabled": True}}},
        "embed_output_intent": {"pdf": {"outputIntent": p}},
        "convert_icc": {"pdf": {"colorConversion": p}},
        "flatten_transparency": {"pdf": {"flattenTransparency": True}},
        "flatten_layers": {"pdf": {"flattenLayers": True}},
        "remove_annotations": {"pdf": {"strip": {"annotations": True}}},
        "remove_javascript": {"pdf": {"strip": {"javascript": True}}},
        "remove_attachments": {"pdf": {"strip": {"attachments": True}}},
        "flatten_forms": {"pdf": {"flattenForms": True}},
        "remove_xfa": {"pdf": {"strip": {"xfa": True}}},
        "remove_signatures": {"pdf": {"strip": {"signatures": True}}},
        "remove_encryption": {"pdf": {"decrypt": True}},
        "convert_pdf_version": {"pdf": {"version": p}},
        "repair_structure": {"pdf": {"repair": True}},
        "linearize": {"pdf": {"linearize": True}},
        "upscale_image": {"raster": {"upscale": p}},
        "downscale_image": {"raster": {"resize": p}},
        "convert_colorspace": {"raster": {"colorspace": p}},
        "increase_bit_depth": {"raster": {"bitDepth": p}},
        "flatten_alpha": {"raster": {"flatten": p}},
        "remove_background": {"raster": {"removeBg": {"enabled": True}}},
        "embed_icc": {"raster": {"embedIcc": p}},
        "pad_crop_aspect": {"raster": {"crop": p}},
        "limit_ink": {"raster": {"inkLimit": p}},
    }
    return table.get(strategy, {})


def recommended_autofix(fixable: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    if not fixable:
        return None
    params: dict[str, Any] = {}
    fixes: list[str] = []
    strategies: list[str] = []
    for f in fixable:
        af = f["autofix"]
        _merge(params, _strategy_params(af["strategy"], dict(af.get("params") or {}), f.get("page")))
        if f["ruleId"] not in fixes:
            fixes.append(f["ruleId"])
        if af["strategy"] not in strategies:
            strategies.append(af["strategy"])
    return {"runner": "optimize", "params": params, "fixes": fixes, "strategies": strategies}
