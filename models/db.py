"""Engine, sessions and the declarative base. Nothing connects at import time."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, configure_mappers, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


CONNECT_TIMEOUT = 3  # seconds to open a PostgreSQL connection (libpq ``connect_timeout``; its minimum is 2)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # A server that accepts TCP and never answers (hung, half-open network) would otherwise hold a request for the
    # kernel's minutes-long timeout; a few seconds, then the app answers 503 (bot/outage.py).
    # JIT compilation pays off for long analytic queries; ours are interactive, and the county board's roll-up spent
    # ~100 ms of its time compiling (EXPLAIN ANALYZE at 300,000 people). Off for this application's connections.
    kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT, "options": "-c jit=off"})
    engine = create_engine(url, **kwargs)
    if engine.dialect.driver == "psycopg" and not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _begin_as_ping())
    return engine


def _begin_as_ping():
    """Pessimistic disconnect handling in one round trip instead of two (a pool ``checkout`` listener).

    ``pool_pre_ping`` sends an empty statement on every checkout and psycopg then sends ``BEGIN`` before the first
    statement. Here the ``BEGIN`` is the ping: sent at checkout through libpq (psycopg sees the transaction open
    and sends no second one). A dead connection fails it, and ``DisconnectionError`` makes the pool replace the
    connection and try again, as SQLAlchemy's own recipe for custom pings does. Saves one round trip per unit of
    work on every hot path (docs/architecture.md, "Hot-path costs")."""
    from psycopg import pq  # here, not at import time: only a PostgreSQL engine needs psycopg
    from sqlalchemy.exc import DisconnectionError

    def listener(dbapi_connection, _record, _proxy) -> None:
        try:
            if dbapi_connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
                return
            result = dbapi_connection.pgconn.exec_(b"BEGIN")
        except Exception as exc:  # psycopg.OperationalError on a closed socket
            raise DisconnectionError(str(exc)) from exc
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise DisconnectionError(result.error_message.decode(errors="replace"))

    return listener


def refresh_statistics(session: Session, tables: tuple[str, ...] = ()) -> None:
    """Bring the planner's statistics up to date after a bulk load (seeding, a big roster import).

    Without them PostgreSQL plans a freshly loaded table as if it were empty: the annual roll-up at 30,000 people
    ran over five minutes before ``ANALYZE`` and under two seconds after. ANALYZE inside the loading transaction
    counts that transaction's own rows, so it can run before the commit. SQLite keeps its statistics in
    ``sqlite_stat1`` the same way. ``tables``: only these (default: every table).
    """
    session.flush()
    if not tables:
        session.execute(text("ANALYZE"))
    elif session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(tables)))
    else:
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))


class Database:
    """One engine and session factory per application (or CLI run)."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # configure every mapper now, at start-up, rather than inside the first request's query (~60 ms)
        configure_mappers()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error.

        An error whose ``keep_changes`` is true (a refusal that was audited, such as a failed binding attempt)
        commits what was recorded and is then re-raised.
        """
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            if getattr(exc, "keep_changes", False):
                session.commit()
            else:
                session.rollback()
            raise
        finally:
            session.close()

    def vacuum(self) -> None:
        """After a bulk load on PostgreSQL, ``VACUUM (ANALYZE)`` outside any transaction: statistics, and the
        visibility map that lets counts over a quarter read an index alone instead of the table. (SQLite: no-op;
        ``refresh_statistics`` inside the load is enough there.)"""
        if self.dialect != "postgresql":
            return
        from sqlalchemy.pool import NullPool

        # its own connection: VACUUM runs outside a transaction, and this engine's checkout begins one
        engine = create_engine(self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                               connect_args={"connect_timeout": CONNECT_TIMEOUT})
        try:
            with engine.connect() as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
        finally:
            engine.dispose()

    def dispose(self) -> None:
        self.engine.dispose()
