"""The application layer: the jobs and use cases as plain functions, below the entry points.

The command line (dondoc/cli/), the dashboard (dondoc/web/), the embedded scheduler (`service.py`,
behind `dondoc serve`) and the Prefect flows (flows/) all call these; nothing here imports them.
`context.py` is what every caller hands down (settings, engine, clock); `jobs.py` the daily reminder
and inbox jobs; `review_jobs.py` the annual review's days; `scheduling.py` the one job table;
`simulation.py` and `simulated_work.py` time travel; `task_work.py` a person's change to a task;
`interrupt.py` Ctrl-C at safe points."""
