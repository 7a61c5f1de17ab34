"""Alembic migrations of the catalog schema (run automatically when a catalog is opened)."""
