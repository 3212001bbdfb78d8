"""The pool hands out live connections: on PostgreSQL the transaction's BEGIN doubles as the liveness check, so a
connection the server killed while it rested in the pool is replaced, not given to a request."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from models.db import Database


@pytest.fixture
def pg_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (KAOHE_TEST_DATABASE_URL): SQLite has no server to lose")
    return database_url


def test_a_connection_killed_in_the_pool_is_replaced(pg_url):
    db, killer = Database(pg_url, pool_size=1, max_overflow=0), Database(pg_url)
    try:
        with db.session() as s:
            first = s.scalar(text("select pg_backend_pid()"))
        with killer.engine.connect() as conn:
            assert conn.scalar(text("select pg_terminate_backend(:pid)"), {"pid": first})
        with db.session() as s:  # the pool's only connection is dead: the check at checkout replaces it
            second = s.scalar(text("select pg_backend_pid()"))
            assert s.scalar(text("select 1")) == 1
        assert second != first
    finally:
        db.dispose()
        killer.dispose()
