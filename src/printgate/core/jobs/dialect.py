"""The two vocabularies a job's status is spoken in (DECISIONS 1), as pure functions.

``lifecycle`` (the default) is the seeds' ``idle … rejected``. ``filecheck`` is what Filecheck's own
SDKs, plugins and response formatters speak: the execution vocabulary ``pending running done
skipped error`` with the verdict in ``outcome``; its SDK waits for ``done|skipped|error`` and would
poll a lifecycle job forever. The job row always stores the lifecycle status; the dialect is
applied when a job is shaped (``printgate.core.wire``). Tasks, steps and ``canProceed`` are the same in both.
"""

from __future__ import annotations

DIALECTS = ("lifecycle", "filecheck")
DEFAULT_DIALECT = "lifecycle"
HEADER = "Printgate-Status-Dialect"

# Lifecycle status -> (filecheck status, filecheck outcome), for a job that could be processed.
_FILECHECK = {
    "idle": ("pending", None), "incomplete": ("pending", None), "uploading": ("pending", None),
    "processing": ("running", None),
    "review": ("running", None),  # not decided: a merchant's review is awaited (the SDK keeps polling)
    "ready": ("done", "pass"), "partial": ("done", "warn"), "rejected": ("done", "fail"),
}
FILECHECK_STATUSES = ("pending", "running", "done", "skipped", "error")


def check_dialect(value: str) -> str:
    """``value`` if it names a dialect; a ValueError that lists them otherwise."""
    if value not in DIALECTS:
        raise ValueError(f"status dialect must be one of {', '.join(DIALECTS)}, not {value!r}")
    return value


def job_status_in(dialect: str, status: str, outcome: str | None, *, could_not_process: bool = False,
                  started: bool = True) -> tuple[str, str | None]:
    """A job's ``(status, outcome)`` in ``dialect``.

    ``could_not_process`` marks a rejected job whose file hit an error (corrupt, timeout, crash, a
    check that cannot run): Filecheck calls that ``error``, and its outcome stays ``fail``.
    ``started`` is false while a processing job's files all wait in the queue: Filecheck answers a
    fresh submission ``pending`` (sdk-fixtures/job.lean.json), ``running`` once work began.
    """
    if dialect == DEFAULT_DIALECT:
        return status, outcome
    if status == "rejected" and could_not_process:
        return "error", "fail"
    if status == "processing" and not started:
        return "pending", None
    return _FILECHECK.get(status, ("pending", None))


# A list filter in the filecheck vocabulary, as alternatives of (stored statuses, what the job's
# files must show): "errored" a file that ended in error, "started" a file no longer pending; a
# leading "!" negates. Lifecycle words filter on the stored status alone.
FILECHECK_FILTERS: dict[str, tuple[tuple[tuple[str, ...], str | None], ...]] = {
    "pending": ((("idle", "incomplete", "uploading"), None), (("processing",), "!started")),
    "running": ((("processing",), "started"), (("review",), None)),
    "done": ((("ready", "partial", "rejected"), "!errored"),),
    "error": ((("rejected",), "errored"),),
    "skipped": (),
}


def list_filter(status: str) -> tuple[tuple[tuple[str, ...], str | None], ...]:
    """What a ``GET /jobs?status=`` filter in either vocabulary matches (see ``FILECHECK_FILTERS``)."""
    if status in _FILECHECK:
        return (((status,), None),)
    return FILECHECK_FILTERS[status]
