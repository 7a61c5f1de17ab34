"""Alembic environment: ragkb always hands in an open connection (see ragkb.catalog.migrate)."""

from alembic import context

from ragkb.catalog.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
