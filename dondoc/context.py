"""What every entry point needs: settings, the database (migrated on first use), a clock, an actor."""
import getpass
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine

from config.settings import Settings
from models.clock import Clock, clock_for
from models.db import make_engine, migrate


@dataclass
class AppContext:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.resolved_database_url,
                                       sqlite_busy_timeout=self.settings.sqlite_busy_timeout_seconds)
            migrate(self._engine)
        return self._engine

    def clock(self, today: date | None = None) -> Clock:
        """`--today` wins, then DONDOC_TODAY, then the real clock."""
        return clock_for(today or self.settings.today)

    @property
    def actor(self) -> str:
        if self.settings.actor:
            return self.settings.actor
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
