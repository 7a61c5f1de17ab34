"""Bringing a catalog's schema up to date with Alembic when ragkb opens it.

A new catalog is created from the models and stamped as current; a catalog from ragkb 0.1
(no ``alembic_version`` table) is stamped with the first revision and then upgraded.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from ragkb.catalog.schema import Base

FIRST_REVISION = "0001"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", "ragkb.catalog:migrations")
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the catalog tables; a no-op when the schema is current."""
    with engine.begin() as connection:
        config = _config(connection)
        current = MigrationContext.configure(connection).get_current_revision()
        if current == ScriptDirectory.from_config(config).get_current_head():
            return
        if current is None and not inspect(connection).has_table("knowledge_base"):
            Base.metadata.create_all(connection)
            command.stamp(config, "head")
            return
        if current is None:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")


def downgrade_schema(engine: Engine, revision: str) -> None:
    """Take the catalog back to ``revision`` with each later migration's ``downgrade``: what an older
    ragkb expects, e.g. before going back to it (and how the tests make old catalogs)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)
