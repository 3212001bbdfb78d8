"""Finding people: by staff number, name or phone. Lists never show a phone in full."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Membership, Person, Tier, Unit
from models.org import mask_phone

from handlers.actor import Actor
from handlers.errors import InvalidInput


@dataclass(frozen=True)
class PersonRow:
    staff_no: str
    name: str
    unit: str
    tier: str
    post: str
    phone: str  # masked

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def find_people(session: Session, actor: Actor, query: str, limit: int = 50) -> list[PersonRow]:
    """Exact staff number or phone, or a name prefix; unit HR sees their unit, the county office everyone."""
    query = query.strip()
    if not query:
        raise InvalidInput("请输入人员编号、姓名或手机号", "empty_query")
    q = (
        select(Person, Unit.name, Tier.name, Membership.post, Membership.unit_id)
        .join(Membership, (Membership.person_id == Person.id) & Membership.end_on.is_(None))
        .join(Unit, Unit.id == Membership.unit_id)
        .join(Tier, Tier.id == Membership.tier_id)
        .where(or_(Person.staff_no == query, Person.phone == query, Person.name.startswith(query)))
        .order_by(Person.staff_no)
        .limit(limit)
    )
    if not actor.is_county:
        q = q.where(Membership.unit_id.in_(actor.admin_units or {-1}))
    return [PersonRow(p.staff_no, p.name, unit, tier, post, mask_phone(p.phone))
            for p, unit, tier, post, _ in session.execute(q)]
