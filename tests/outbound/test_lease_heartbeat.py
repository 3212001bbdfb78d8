"""The drainer's heartbeat extends its leases without waiting for a row a worker is writing.

On PostgreSQL the heartbeat's UPDATE and a worker's result write touched the same rows in different orders and one of
them died as a deadlock (bench/fanout.py at 100,000 recipients: "deadlock detected", taken for an outage). The
heartbeat now locks in id order and skips rows that are being written."""
import threading

import pytest
from sqlalchemy import select, text

from handlers.outbound import deliveries
from models import Delivery

from .test_faults import crowd, send_all  # noqa: F401 - fixtures and helpers of the outbound tests


@pytest.fixture
def claimed(db, session, county_actor, crowd):  # noqa: F811
    send_all(session, county_actor)
    with db.session() as s:
        batch = deliveries.claim(s, "tester", 10, 60)
    return batch


def test_heartbeat_extends_every_row_of_its_claims(db, claimed):
    with db.session() as s:
        assert deliveries.extend(s, [claimed[0].claim], 120) == len(claimed)
    with db.session() as s:
        leases = s.scalars(select(Delivery.lease_until)).all()
    assert len(set(leases)) == 1


def test_heartbeat_does_not_wait_for_a_row_being_written(db, claimed):
    if db.dialect != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers)")
    writer = db.engine.connect()
    writing = writer.begin()
    first = claimed[0].id
    writer.execute(text("UPDATE deliveries SET state = 'sent' WHERE id = :id"), {"id": first})  # a worker's write
    answer = {}

    def beat():
        with db.session() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            answer["rows"] = deliveries.extend(s, [claimed[0].claim], 120)

    t = threading.Thread(target=beat)
    t.start()
    t.join(5)
    try:
        assert not t.is_alive()
        assert answer["rows"] == len(claimed) - 1  # every row but the one in the worker's hands
    finally:
        writing.rollback()
        writer.close()
