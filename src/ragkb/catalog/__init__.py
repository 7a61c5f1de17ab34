"""The catalog database: schema and connection handling."""

from ragkb.catalog.database import Catalog

__all__ = ["Catalog"]
