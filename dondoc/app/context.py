"""What every entry point needs: settings, the database (migrated on first use), a clock, an actor."""
import getpass
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine

from config.settings import SettingFields
from models.clock import Clock, clock_for
from models.db import make_engine, migrate


@dataclass
class AppContext:
    settings: SettingFields  # get_settings()'s, or a test's Settings(...)
    _engine: Engine | None = field(default=None, repr=False)
    # The clock when no day is given: by default DONDOC_TODAY's or the real one; tests set their own
    # to travel in time within a day (a retry at 08:20 after a failure at 08:00).
    default_clock: Clock | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.resolved_database_url,
                                       sqlite_busy_timeout=self.settings.sqlite_busy_timeout_seconds)
            migrate(self._engine)
        return self._engine

    def clock(self, today: date | None = None) -> Clock:
        """`--today` wins, then the context's own clock, then DONDOC_TODAY, then the real clock."""
        if today is None and self.default_clock is not None:
            return self.default_clock
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
