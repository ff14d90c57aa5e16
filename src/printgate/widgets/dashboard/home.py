"""Home (``/dashboard/``): the account's counts and a chart of jobs per day by result.

Two grouped queries over the account's recent jobs (``ix_job_account_created`` bounds them to the
window): jobs per (day, status), and the ready ones whose autofix changed a file per day. The chart
is an SVG drawn here, on the server: no charting library, no script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from printgate.core.api.deps import SessionDep
from printgate.core.clock import utcnow
from printgate.core.jobs.states import JobStatus
from printgate.core.models import Job, Step
from printgate.widgets.dashboard.queries import RESULTS, result_key
from printgate.widgets.dashboard.web import Me, page

router = APIRouter()

DAYS = 14
# Bar colours: each at least 3:1 against the white chart (WCAG non-text contrast); the legend and
# the table below the chart say the same in words.
COLOURS = {"clean": "#1a7f37", "autofixed": "#0969da", "warnings": "#9a6700", "rejected": "#cf222e",
           "review": "#8250df", "processing": "#57606a"}
ORDER = ("clean", "autofixed", "warnings", "review", "rejected", "processing")


@dataclass
class Bar:
    x: float
    y: float
    height: float
    result: str
    count: int


@dataclass
class Day:
    day: date
    counts: dict[str, int] = field(default_factory=dict)
    bars: list[Bar] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Chart:
    days: list[Day]
    width: int
    height: int
    top: int  # the y axis' largest value
    ticks: list[tuple[float, int]]  # (y, value)
    labels: list[tuple[float, str]]  # (x, day)


def _as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def per_day(session: Session, account_id: str, today: date, days: int = DAYS) -> list[Day]:
    since = datetime.combine(today - timedelta(days=days - 1), time.min, UTC)
    out = {today - timedelta(days=n): Day(today - timedelta(days=n)) for n in range(days - 1, -1, -1)}
    day_of = func.date(col(Job.created_at))
    own = (col(Job.account_id) == account_id, col(Job.created_at) >= since, col(Job.deleted_at).is_(None))
    for day, status, count in session.execute(
            sa_select(day_of, col(Job.status), func.count()).where(*own).group_by(day_of, col(Job.status))).all():
        bucket = out.get(_as_day(day))
        if bucket is not None:
            key = result_key(status, False)
            bucket.counts[key] = bucket.counts.get(key, 0) + int(count)
    fixed = sa_select(col(Step.job_id)).where(col(Step.type) == "autofix", col(Step.outcome) == "fixed")
    for day, count in session.execute(
            sa_select(day_of, func.count()).where(*own, col(Job.status) == JobStatus.READY, col(Job.id).in_(fixed))
            .group_by(day_of)).all():
        bucket = out.get(_as_day(day))
        if bucket is not None and count:
            bucket.counts["clean"] = bucket.counts.get("clean", 0) - int(count)
            bucket.counts["autofixed"] = int(count)
    return list(out.values())


def _nice_top(value: int) -> int:
    for step in (1, 2, 5):
        for power in range(0, 9):
            candidate = step * 10 ** power
            if candidate >= value:
                return max(candidate, 4)
    return value


def chart(days: list[Day], width: int = 720, height: int = 240) -> Chart:
    left, bottom, top_pad = 44, 28, 10
    plot_h = height - bottom - top_pad
    top = _nice_top(max((d.total for d in days), default=0))
    slot = (width - left - 8) / max(1, len(days))
    bar_w = max(4.0, slot * 0.7)
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar_w) / 2
        y = float(height - bottom)
        for key in ORDER:
            count = day.counts.get(key, 0)
            if count <= 0:
                continue
            h = plot_h * count / top
            y -= h
            day.bars.append(Bar(x=round(x, 1), y=round(y, 1), height=round(h, 1), result=key, count=count))
    ticks = [(round(height - bottom - plot_h * n / 4, 1), top * n // 4) for n in range(5)]
    labels = [(round(left + i * slot + slot / 2, 1), d.day.strftime("%d %b")) for i, d in enumerate(days)
              if i % 2 == (len(days) - 1) % 2]
    return Chart(days=days, width=width, height=height, top=top, ticks=ticks, labels=labels)


def counts(session: Session, account_id: str, now: datetime) -> dict[str, int]:
    base = (col(Job.account_id) == account_id, col(Job.deleted_at).is_(None))

    def count(*where: ColumnElement[bool]) -> int:
        return int(session.execute(sa_select(func.count()).select_from(Job).where(*base, *where)).scalar() or 0)

    day_start = datetime.combine(now.date(), time.min, UTC)
    week = now - timedelta(days=7)
    return {
        "today": count(col(Job.created_at) >= day_start),
        "week": count(col(Job.created_at) >= week),
        "review": count(col(Job.status) == JobStatus.REVIEW),
        "processing": count(col(Job.status).in_((JobStatus.IDLE, JobStatus.INCOMPLETE, JobStatus.UPLOADING,
                                                 JobStatus.PROCESSING))),
        "rejected_week": count(col(Job.created_at) >= week, col(Job.status) == JobStatus.REJECTED),
    }


@router.get("/", response_class=HTMLResponse)
def home_page(request: Request, session: SessionDep, me: Me) -> HTMLResponse:
    now = utcnow()
    days = per_day(session, me.account.id, now.date())
    totals = {key: sum(d.counts.get(key, 0) for d in days) for key in ORDER}
    return page(request, "home.html", {
        "me": me, "nav": "home", "counts": counts(session, me.account.id, now), "chart": chart(days),
        "colours": COLOURS, "order": ORDER, "results": RESULTS, "totals": totals, "span": DAYS,
    })
