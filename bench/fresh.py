"""An empty database for a bench: the PostgreSQL database is created when missing (a fresh machine has none), then
its ``public`` schema is dropped and made again; SQLite needs neither. Every bench that rebuilds its schema starts
here, so each bench's own command works on its own, not only under ``bench/all.py``."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def ensure_database(url: str) -> bool:
    """Create the database ``url`` names if it is missing; True when it was created."""
    u = make_url(url)
    if not u.drivername.startswith("postgresql"):
        return False
    engine = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first():
                return False
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
            return True
    finally:
        engine.dispose()


def empty_schema(url: str) -> None:
    """The database exists and holds nothing (PostgreSQL); a SQLite file is left to the migrations."""
    if not make_url(url).drivername.startswith("postgresql"):
        return
    ensure_database(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
