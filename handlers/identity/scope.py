"""Who may see what, for the results and oversight use cases: the county office sees every unit, unit HR its own."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Unit

from handlers.actor import Actor
from handlers.errors import Forbidden, InvalidInput, NotFound


def require_county(actor: Actor) -> None:
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以查看全县情况")


def unit_named(session: Session, actor: Actor, name: str) -> Unit:
    """The unit the actor may view; an unknown unit and a unit out of scope look the same."""
    unit = session.scalar(select(Unit).where(Unit.name == name))
    if unit is None or not actor.can_view_unit(unit.id):
        raise NotFound(f"找不到单位“{name}”")
    return unit


def unit_scope(session: Session, actor: Actor, unit_name: str | None) -> Unit | None:
    """``None`` means the whole county (county office only)."""
    if unit_name:
        return unit_named(session, actor, unit_name)
    require_county(actor)
    return None


def check_period(year: int | None, quarter: int | None = None, *, need_quarter: bool = True) -> None:
    if year is None or not 2000 <= year <= 2100:
        raise InvalidInput("请给出年度（如 2026）")
    if need_quarter and quarter not in (1, 2, 3, 4):
        raise InvalidInput("季度只能是 1 到 4")
