"""Simulation: every daily job for each day of a period, in order, in one flow run."""
import asyncio
from datetime import date

from prefect import flow

from dondoc.app.simulation import simulate_days
from flows import runtime


@flow(name="simulate")
async def simulate(start: date, end: date, demo_agencies: bool = False) -> list[dict]:
    """Run the daily jobs for each day from `start` to `end` (inclusive), as if time passed.

    Async so that Prefect ends the run without the sync engine's closing wait (about a second);
    the days run in a worker thread, leaving Prefect's event loop free."""
    return await asyncio.to_thread(simulate_days, runtime.current(), start, end, demo_agencies)
