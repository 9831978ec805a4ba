"""Storage: the only package that speaks SQL (SQLAlchemy 2 Core, SQLite or PostgreSQL).

``tables`` defines the schema (all that migrations need); ``store`` holds the queries. Results
are the plain values of :mod:`bot.people` and :mod:`bot.records`.
"""

from .store import Store, StoreUnavailable, utcnow
from .tables import metadata

__all__ = ["Store", "StoreUnavailable", "metadata", "utcnow"]
