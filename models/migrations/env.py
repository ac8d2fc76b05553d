"""Alembic environment: the engine comes from models.db.migrate (or -x url=... on the CLI)."""
from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import models

models.load_tables()  # every table on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
