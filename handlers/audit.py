"""Recording state changes. Call ``record`` in the same transaction as the change it describes."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models import AuditEntry

from .actor import Actor


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def record(
    session: Session, actor: Actor, action: str, object_type: str, object_id: Any,
    before: dict | None = None, after: dict | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor.ref, action=action, object_type=object_type, object_id=str(object_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    session.add(entry)
    return entry

