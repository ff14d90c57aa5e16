"""The workflow's Merge stage: after every file's processing, keep the outputs separate, combine
them into one PDF (in slot order: Front, Back), or bundle them into one ZIP.

The merged file is a job-level artifact (``task_id`` None, role ``output``, kind ``merged``); the
wire lists it first in ``deliverables`` and as ``merged`` in the runs (``printgate.core.wire``).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from printgate.core import library
from printgate.core.errors import UnreadableFile
from printgate.core.ids import new_id
from printgate.core.models import Artifact, Job, Task
from printgate.core.storage import get_storage

log = logging.getLogger("printgate.processing")
MODES = ("separate", "combine", "zip")
MIME = {"combine": "application/pdf", "zip": "application/zip"}


class MergeFailed(Exception):
    pass


def _slot_order(session: Session, job: Job, workflow: dict[str, Any]) -> list[str]:
    rule = library.find_item(session, "rule", str(workflow.get("ruleId") or job.rule_id or ""), job.account_id) or {}
    return list((rule.get("cardinality") or {}).get("slots") or [])


def ordered_tasks(tasks: list[Task], slots: list[str]) -> list[Task]:
    """Slot order first (Front before Back whatever was uploaded first), then upload order."""
    rank = {name.lower(): i for i, name in enumerate(slots)}
    return sorted(tasks, key=lambda t: (rank.get((t.slot or "").lower(), len(rank)), t.position))


def merged_artifact(session: Session, job_id: str) -> Artifact | None:
    return session.exec(select(Artifact).where(Artifact.job_id == job_id, col(Artifact.task_id).is_(None),
                                               Artifact.role == "output", Artifact.kind == "merged")).first()


def merge_job(session: Session, job: Job, tasks: list[Task]) -> Artifact | None:
    """Build the merged output of a finished workflow job; None when its workflow keeps files separate.

    Raises :class:`MergeFailed` with a readable reason (an output that cannot be combined).
    """
    workflow = library.find_item(session, "workflow", job.workflow_id or "", job.account_id) or {}
    mode = str(workflow.get("merge") or "separate").lower()
    if mode not in MODES:
        raise MergeFailed(f"unknown merge mode {mode!r}: separate, combine or zip")
    if mode == "separate":
        return None
    existing = merged_artifact(session, job.id)
    if existing is not None:
        return existing  # a second worker finishing the same job: built once
    storage = get_storage()
    from printgate.core.processing.pages import Part, bundle, combine

    with tempfile.TemporaryDirectory(prefix=f"printgate-merge-{job.id}-") as tmp:
        parts: list[Part] = []
        for task in ordered_tasks([t for t in tasks if t.status == "done"], _slot_order(session, job, workflow)):
            outputs = list(session.exec(select(Artifact).where(Artifact.task_id == task.id, Artifact.role == "output")
                                        .order_by(col(Artifact.page), col(Artifact.created_at))).all())
            for art in outputs:
                local = storage.local_path(art.key)
                is_pdf = (art.mime_type or "") == "application/pdf" or art.key.lower().endswith(".pdf")
                if mode == "combine" and not is_pdf:
                    local = _as_pdf(local, Path(tmp) / f"{art.id}.pdf", art.file_name or art.key)
                    is_pdf = True
                parts.append(Part(path=local, file_name=art.file_name or Path(art.key).name, is_pdf=is_pdf))
        if not parts:
            raise MergeFailed("no file had an output to merge")
        ext = ".pdf" if mode == "combine" else ".zip"
        dst = Path(tmp) / f"merged{ext}"
        try:
            detail: Any = combine(parts, dst) if mode == "combine" else bundle(parts, dst)
        except (UnreadableFile, ValueError, OSError) as exc:
            raise MergeFailed(str(getattr(exc, "reason", exc))) from exc
        name = f"{job.id}{'-combined' if mode == 'combine' else ''}{ext}"
        key = f"a/{job.account_id}/{job.id}/merged/{name}"
        size = storage.put_file(key, dst, MIME[mode])
    art = Artifact(id=new_id("art"), account_id=job.account_id, job_id=job.id, task_id=None, role="output",
                   kind="merged", key=key, mime_type=MIME[mode], size_bytes=size, file_name=name,
                   page=detail if mode == "combine" else None)
    session.add(art)
    session.commit()
    log.info("merged outputs", extra={"job_id": job.id, "mode": mode, "parts": len(parts)})
    return art


def _as_pdf(src: Path, dst: Path, name: str) -> Path:
    """An image output as a one-page PDF at its own DPI, so it can be combined with the others."""
    from printgate.core.processing.streaming import VipsDoc
    from printgate.core.processing.topdf import raster_to_pdf

    doc = VipsDoc(src)
    raster_to_pdf(doc.image, dst, dpi=doc.dpi, profile=None, source_icc=doc.icc_profile)
    return dst
