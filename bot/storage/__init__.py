"""Storage: the only package that speaks SQL (SQLAlchemy 2 Core, SQLite or PostgreSQL).

``tables`` defines the schema (all that migrations need); ``store`` holds the queries. Results
are the plain values of :mod:`bot.core.people` and :mod:`bot.core.records`.
"""

from bot.storage.store import Store, StoreUnavailable, utcnow
from bot.storage.tables import metadata

__all__ = ["Store", "StoreUnavailable", "metadata", "utcnow"]
