"""Imported by every table module: before the ORM's first query or flush, every table is loaded, so a
foreign key to a table no code path imported yet (occurrence.task_id -> task) always resolves.
(models/__init__.py no longer imports the tables itself: see its docstring.)"""
from sqlalchemy import event
from sqlalchemy.orm import Mapper


@event.listens_for(Mapper, "before_configured")
def _load_every_table() -> None:
    import models
    models.load_tables()
