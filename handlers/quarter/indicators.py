"""Step 1 — the cycle's indicator template: common indicators fixed by the policy, post-specific ones per post."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Evaluation, Indicator
from models.rules.scoring import COMMON, SPECIFIC, IndicatorDef, RuleViolation, validate_template

from handlers import audit
from handlers.identity.access import cycle_for_admin, cycle_for_viewer
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput, from_rule

EDITABLE_STATES = ("draft", "open")


@dataclass(frozen=True)
class SpecificInput:
    dimension: str
    name: str
    points: float


def template_for(session: Session, cycle_id: int, post: str) -> list[Indicator]:
    """The indicators a person on ``post`` is scored on: the common ones + the post's own specific set (if set),
    else the unit-wide specific set. Ordered as on the printed form."""
    rows = list(session.scalars(select(Indicator).where(Indicator.cycle_id == cycle_id,
                                                         Indicator.post.in_(("", post)))
                                .order_by(Indicator.position, Indicator.id)))
    own = [i for i in rows if i.post == post and post and i.kind == SPECIFIC]
    common = [i for i in rows if i.post == "" and i.kind == COMMON]
    specific = own or [i for i in rows if i.post == "" and i.kind == SPECIFIC]
    return common + specific


def defs(indicators: list[Indicator]) -> list[IndicatorDef]:
    return [IndicatorDef(str(i.id), i.kind, i.dimension, i.name, i.points) for i in indicators]


def list_templates(session: Session, actor: Actor, cycle_id: int) -> dict[str, list[Indicator]]:
    """Every post of the cycle's roster → its indicators ('' is the unit-wide default)."""
    cycle = cycle_for_viewer(session, actor, cycle_id)
    posts = sorted(set(session.scalars(select(Evaluation.post).where(Evaluation.cycle_id == cycle.id))) - {""})
    out = {"": template_for(session, cycle.id, "")}
    for post in posts:
        out[post] = template_for(session, cycle.id, post)
    return out


def set_post_specific(session: Session, actor: Actor, policy: Policy, cycle_id: int, post: str,
                      items: list[SpecificInput]) -> list[Indicator]:
    """Replace the post-specific indicators of ``post`` ('' = the unit-wide default set). Weights must add up."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    post, common = _checked(session, policy, cycle, post, items)
    before = [i.name for i in template_for(session, cycle.id, post) if i.kind == SPECIFIC]
    session.execute(delete(Indicator).where(Indicator.cycle_id == cycle.id, Indicator.post == post,
                                            Indicator.kind == SPECIFIC))
    start = len(common)
    for n, item in enumerate(items):
        session.add(Indicator(cycle_id=cycle.id, post=post, kind=SPECIFIC, dimension=item.dimension,
                              name=item.name.strip(), points=float(item.points), position=start + n))
    session.flush()
    audit.record(session, actor, "indicators.set", "cycle", cycle.id, {"post": post, "specific": before},
                 {"post": post, "specific": [i.name for i in items]})
    return template_for(session, cycle.id, post)


def _checked(session: Session, policy: Policy, cycle, post: str,
             items: list[SpecificInput]) -> tuple[str, list[Indicator]]:
    """The template rule (counts and the 40 + 60 points) on the cycle's common indicators plus ``items``."""
    if cycle.state not in EDITABLE_STATES:
        raise Conflict("考核已进入评鉴阶段，指标不能再修改", "template_locked", state=cycle.state)
    post = post.strip()
    if len(post) > 100:
        raise InvalidInput("岗位名称不能超过 100 个字符", "post_too_long")
    for item in items:
        if item.dimension not in ("德", "能", "勤", "绩", "廉"):
            raise InvalidInput(f"指标“{item.name}”的维度只能是 德、能、勤、绩、廉", "bad_dimension")
    common = [i for i in template_for(session, cycle.id, "") if i.kind == COMMON]
    proposed = defs(common) + [IndicatorDef(f"new{n}", SPECIFIC, i.dimension, i.name.strip(), i.points)
                               for n, i in enumerate(items)]
    try:
        validate_template(proposed, policy)
    except RuleViolation as exc:
        raise from_rule(exc) from None
    return post, common


def check_post_specific(session: Session, actor: Actor, policy: Policy, cycle_id: int, post: str,
                        items: list[SpecificInput]) -> str:
    """Check a set as it is being edited, without saving: the same rule and message as saving it. Returns the
    confirmation to show; a set that breaks the rule raises the same error saving would."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    _, common = _checked(session, policy, cycle, post, items)
    fixed, own = sum(i.points for i in common), sum(float(i.points) for i in items)
    return f"共性指标 {fixed:g} 分 + 个性指标 {own:g} 分 = {fixed + own:g} 分，符合要求"


def unheld_post_warning(session: Session, cycle_id: int, post: str) -> str | None:
    """A post-specific set for a post nobody on the cycle's roster holds is used for nobody: say so, naming the
    posts that exist (a typo such as “预算管里” is the usual cause). None when the post is held or is the default."""
    post = post.strip()
    if not post:
        return None
    held = sorted(set(session.scalars(select(Evaluation.post).where(Evaluation.cycle_id == cycle_id))) - {""})
    if post in held:
        return None
    existing = "、".join(held) if held else "（本季度名单中没有填写岗位的人员）"
    return f"注意：本季度没有人在岗位“{post}”上，这组指标不会用于任何人。现有岗位：{existing}"


def reset_post(session: Session, actor: Actor, cycle_id: int, post: str) -> list[Indicator]:
    """Drop a post's own set, so the post uses the unit-wide default again."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    if cycle.state not in EDITABLE_STATES:
        raise Conflict("考核已进入评鉴阶段，指标不能再修改", "template_locked", state=cycle.state)
    if not post.strip():
        raise InvalidInput("单位默认指标不能删除，只能修改", "default_template")
    n = session.execute(delete(Indicator).where(Indicator.cycle_id == cycle.id, Indicator.post == post,
                                                Indicator.kind == SPECIFIC)).rowcount
    audit.record(session, actor, "indicators.reset", "cycle", cycle.id, {"post": post, "removed": n}, None)
    return template_for(session, cycle.id, post)
