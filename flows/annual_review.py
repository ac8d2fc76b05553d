"""The annual review flows: open the year's cycle, chase who has not reported, compile the report.
Each only wires the plain functions of dondoc/app/review_jobs.py."""
from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from dondoc.app import review_jobs
from flows import runtime


def _today() -> date:
    return runtime.current().clock().now().date()


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE, retry_condition_fn=runtime.not_bad_input)
def open_cycle_and_mail(day: date, year: int | None, plan: str | None) -> dict:
    return review_jobs.open_review(runtime.current(), day, year, plan).as_dict()


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE, retry_condition_fn=runtime.not_bad_input)
def chase_missing(day: date, year: int | None, plan: str | None) -> dict:
    return review_jobs.chase_review(runtime.current(), day, year, plan).as_dict()


@task(retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE, retry_condition_fn=runtime.not_bad_input)
def write_compiled_report(day: date, year: int, outs: list[str] | None, plan: str | None, targets: str | None) -> list[str]:
    paths = review_jobs.compile_review(runtime.current(), day, year, [Path(o) for o in outs] if outs else None,
                                       plan, Path(targets) if targets else None)
    return [str(p) for p in paths]


@flow(name="review-open")
def review_open(day: date | None = None, year: int | None = None, plan: str | None = None) -> dict:
    """Open the review of `year` (default: this year) and email every reporting agency its link."""
    return open_cycle_and_mail(day or _today(), year, plan)


@flow(name="review-chase")
def review_chase(day: date | None = None, year: int | None = None, plan: str | None = None) -> dict:
    """Remind the agencies that have not reported; after the deadline tell Alliance staff who is missing."""
    return chase_missing(day or _today(), year, plan)


@flow(name="review-compile")
def review_compile(year: int | None = None, day: date | None = None, outs: list[str] | None = None,
                   plan: str | None = None, targets: str | None = None) -> list[str]:
    """Write the compiled "báo cáo sơ kết" of `year` (default: this year; .docx, .xlsx or .md by extension)."""
    day = day or _today()
    return write_compiled_report(day, year or day.year, outs, plan, targets)
