"""Recording state changes. Call ``record`` in the same transaction as the change it describes.

The row is written at once with a plain INSERT on the session's connection (same transaction), not added to the
ORM's unit of work: an audit row is never read back or changed by the request that writes it, and the unit of
work's bookkeeping was a measurable share of the chat and scoring hot paths (docs/architecture.md, "Hot-path
costs")."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import Update, bindparam, cast, insert, select
from sqlalchemy.orm import Session

from models import AuditEntry, utcnow

from handlers.actor import Actor


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


_INSERT = insert(AuditEntry.__table__)
OBJECT_ID_MAX = 64  # audit_log.object_id is varchar(64)


def object_ref(object_id: Any) -> str:
    """The object id as stored: ids a caller typed may be any length (a refused request's path), so a long one
    keeps its first characters and a digest of the whole, and still fits the column."""
    text = str(object_id)
    if len(text) <= OBJECT_ID_MAX:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{text[:OBJECT_ID_MAX - 18]}…#{digest}"


def record(
    session: Session, actor: Actor, action: str, object_type: str, object_id: Any,
    before: dict | None = None, after: dict | None = None,
) -> None:
    session.connection().execute(_INSERT, _values(actor, action, object_type, object_id, before, after))


def _values(actor: Actor, action: str, object_type: str, object_id: Any, before: dict | None,
            after: dict | None) -> dict[str, Any]:
    return {"at": utcnow(), "actor": actor.ref, "action": action, "object_type": object_type,
            "object_id": object_ref(object_id), "before": _plain(before) if before is not None else None,
            "after": _plain(after) if after is not None else None}


class AuditedUpdate:
    """A guarded UPDATE (``WHERE id = … AND version = …``) and the audit row that records it, in one round trip
    where the database can.

    On PostgreSQL it is one statement, ``WITH changed AS (UPDATE … RETURNING 1) INSERT INTO audit_log … SELECT …
    FROM changed``: the audit row is written exactly when the UPDATE matched a row, and one statement is atomic on
    its own. Elsewhere (SQLite) the UPDATE runs and then :func:`record` when it matched. ``execute`` answers the
    number of rows changed either way. The score save is the hot path that uses it (docs/architecture.md,
    "Hot-path costs"): a statement fewer per save."""

    _COLUMNS = ("at", "actor", "action", "object_type", "object_id", "before", "after")

    def __init__(self, update: Update):
        self.update = update
        table = AuditEntry.__table__
        changed = update.returning(update.table.c.id).cte("changed")
        row = select(*(cast(bindparam(f"audit_{c}", type_=table.c[c].type), table.c[c].type).label(c)
                       for c in self._COLUMNS))
        # an INSERT's rowcount is kept only when asked for (SQLAlchemy memoizes it for UPDATE and DELETE alone)
        self.merged = insert(table).from_select(list(self._COLUMNS), row.select_from(changed)).execution_options(
            preserve_rowcount=True)

    def execute(self, session: Session, params: dict[str, Any], actor: Actor, action: str, object_type: str,
                object_id: Any, before: dict | None = None, after: dict | None = None) -> int:
        conn = session.connection()
        values = _values(actor, action, object_type, object_id, before, after)
        if conn.dialect.name != "postgresql":
            changed = conn.execute(self.update, params).rowcount
            if changed:
                conn.execute(_INSERT, values)
            return changed
        return conn.execute(self.merged, {**params, **{f"audit_{k}": v for k, v in values.items()}}).rowcount


def who(session: Session, refs) -> dict[str, str]:
    """What a page shows for the actor refs the log and the records keep (``person:<人员编号>``, ``system:…``):
    "姓名（人员编号）" for a person, 系统 for the system; a ref of no one known stays as it is."""
    from sqlalchemy import select

    from models import Person

    refs = {r for r in refs if r}
    staff = {r.removeprefix("person:") for r in refs if r.startswith("person:")}
    names = dict(session.execute(select(Person.staff_no, Person.name).where(Person.staff_no.in_(staff))).all()) \
        if staff else {}
    out = {}
    for r in refs:
        no = r.removeprefix("person:")
        out[r] = f"{names[no]}（{no}）" if no in names else ("系统" if r.startswith("system:") else r)
    return out


def with_names(session: Session, view: dict, *keys: str) -> dict:
    """``view`` with ``<key>_name`` beside each actor ref in ``keys`` and in its ``history`` entries (filings)."""
    history = view.get("history") or []
    found = who(session, [view.get(k) for k in keys] + [h.get(k) for h in history for k in keys])
    out = {**view, **{f"{k}_name": found.get(view.get(k), view.get(k) or "") for k in keys}}
    if history:
        out["history"] = [{**h, **{f"{k}_name": found.get(h.get(k), h.get(k) or "") for k in keys}} for h in history]
    return out


def rows_with_names(session: Session, rows: list[dict], *keys: str) -> list[dict]:
    """Each row with ``<key>_name`` beside each actor ref in ``keys`` (one query for the whole list): what a list page
    shows for who did it, while the rows the API hands out keep the refs."""
    found = who(session, [r.get(k) for r in rows for k in keys])
    return [{**r, **{f"{k}_name": found.get(r.get(k), r.get(k) or "") for k in keys}} for r in rows]
