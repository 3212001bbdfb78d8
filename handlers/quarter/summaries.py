"""《平时考核登记表》: the personal summary, written paragraph by paragraph (chat) or as a whole (Mini Program).

The draft lives in the database from the first paragraph on, so nothing is lost if the conversation store is
flushed. Who may do what:
- the person writes, submits and withdraws their own summary while the cycle is open and before the deadline;
  a summary returned for revision may be edited and resubmitted until the cycle leaves the scoring step;
- the assigned supervisor (and unit HR) reads it; the supervisor returns it with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.exc import StaleDataError

from config.policy import Policy
from models import Cycle, Evaluation, Membership, Person, RoleGrant, Summary, SummaryRevision, utcnow
from models.cycle import cycle_label
from models.rules import states
from models.rules.calendar import format_local, to_local
from models.rules.scoring import RuleViolation

from handlers import audit

from handlers.outbound import notices
from handlers.actor import Actor
from handlers.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, from_rule
from handlers.identity.access import Columns


@dataclass(frozen=True)
class SummaryView:
    id: int
    cycle_id: int
    cycle_label: str
    state: str
    state_label: str
    paragraphs: list[str]
    voice_media_ids: list[str]
    returned_reason: str | None
    version: int
    deadline: str
    editable: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def contact_for(session: Session, unit_id: int, policy: Policy) -> str:
    """Who to contact about a unit's evaluation: its HR staff by name, else the county office."""
    hr = session.scalar(
        select(Person.name).join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == "unit_admin", RoleGrant.unit_id == unit_id).order_by(Person.staff_no).limit(1)
    )
    return f"单位平时考核管理员{hr}" if hr else policy.contact


def current_evaluation(session: Session, person_id: int) -> Evaluation | None:
    """The person's evaluation in the most recent cycle that is still in progress (not filed)."""
    return session.scalar(
        select(Evaluation).join(Cycle, Cycle.id == Evaluation.cycle_id)
        .where(Evaluation.person_id == person_id, Cycle.state != "filed")
        .order_by(Cycle.year.desc(), Cycle.quarter.desc()).limit(1)
    )


# Built once (the chat's hot path): the person's evaluation in the latest cycle not yet filed, and their summary.
_CURRENT = (select(Evaluation, Cycle).join(Cycle, Cycle.id == Evaluation.cycle_id)
            .where(Evaluation.person_id == bindparam("person_id"), Cycle.state != "filed")
            .order_by(Cycle.year.desc(), Cycle.quarter.desc()).limit(1))
_CURRENT_WITH_SUMMARY = _CURRENT.add_columns(Summary).outerjoin(
    Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))


def _own_evaluation(session: Session, actor: Actor, policy: Policy) -> tuple[Evaluation, Cycle]:
    evaluation, cycle, _ = _own_current(session, actor, policy, with_summary=False)
    return evaluation, cycle


def _own_current(session: Session, actor: Actor, policy: Policy,
                 with_summary: bool = True) -> tuple[Evaluation, Cycle, Summary | None]:
    """The actor's current evaluation, its cycle and (``with_summary``) their summary in it, in one round trip."""
    if actor.person_id is None:
        raise Forbidden("只有考核对象本人可以填写个人小结")
    query = _CURRENT_WITH_SUMMARY if with_summary else _CURRENT
    row = session.execute(query, {"person_id": actor.person_id}).first()
    if row is None:
        raise _no_current_cycle(session, actor, policy)
    return row[0], row[1], (row[2] if with_summary else None)


def _no_current_cycle(session: Session, actor: Actor, policy: Policy) -> Conflict:
    unit_id = session.scalar(select(Membership.unit_id).where(Membership.person_id == actor.person_id,
                                                              Membership.end_on.is_(None)))
    contact = contact_for(session, unit_id, policy) if unit_id else policy.contact
    ended = latest_filed(session, actor.person_id, to_local(utcnow(), policy).date())
    if ended is not None:
        return Conflict(f"{ended[1].label}考核已结束，下一季度考核开启后再填写个人小结。如有疑问请联系{contact}",
                        "cycle_not_open")
    return Conflict(f"本季度考核尚未开始，暂时不能填写个人小结。如有疑问请联系{contact}", "cycle_not_open")


# The text writers' read (a paragraph from the chat, the last one removed, the Mini Program's autosave): the same
# row as _CURRENT_WITH_SUMMARY, only the columns they use, as plain rows — the ORM's object loading was about half
# of this statement's cost on the chat's hot path (issue 16).
_CY, _SU, _EV = Cycle.__table__, Summary.__table__, Evaluation.__table__
_TEXT_CYCLE = ("id", "unit_id", "year", "quarter", "state", "summary_due")
_TEXT_SUMMARY = ("id", "state", "paragraphs", "voice_media_ids", "returned_reason", "version")
_CURRENT_TEXT = (
    select(*(_CY.c[k].label(f"c_{k}") for k in _TEXT_CYCLE), *(_SU.c[k].label(f"s_{k}") for k in _TEXT_SUMMARY))
    .select_from(_EV.join(_CY, _CY.c.id == _EV.c.cycle_id).outerjoin(
        _SU, (_SU.c.cycle_id == _EV.c.cycle_id) & (_SU.c.person_id == _EV.c.person_id)))
    .where(_EV.c.person_id == bindparam("person_id"), _CY.c.state != "filed")
    .order_by(_CY.c.year.desc(), _CY.c.quarter.desc()).limit(1))


class _CycleColumns(Columns):
    @property
    def label(self) -> str:
        return cycle_label(self.year, self.quarter)


def _writable(session: Session, cycle: Cycle, summary: Summary | None, policy: Policy, now: datetime) -> None:
    if summary is not None and summary.state == "returned" and cycle.state in ("open", "scoring"):
        return
    if cycle.state != "open":
        contact = contact_for(session, cycle.unit_id, policy)
        raise Conflict(f"{cycle.label}考核当前处于“{states.CYCLE.label(cycle.state)}”阶段，不能再填写或修改个人小结。"
                       f"如有疑问请联系{contact}", "cycle_not_open")
    if now > cycle.summary_due:
        contact = contact_for(session, cycle.unit_id, policy)
        raise Conflict(f"{cycle.label}个人小结已于 {format_local(cycle.summary_due, policy)} 截止。"
                       f"如需补交请联系{contact}", "deadline_passed")


def _summary_for(session: Session, cycle: Cycle, person_id: int, create: bool) -> Summary | None:
    summary = session.scalar(select(Summary).where(Summary.cycle_id == cycle.id, Summary.person_id == person_id))
    if summary is None and create:
        summary = Summary(cycle_id=cycle.id, person_id=person_id, state="draft", paragraphs=[], voice_media_ids=[])
        session.add(summary)
        session.flush()
    return summary


def view(summary: Summary, cycle: Cycle, policy: Policy, editable: bool) -> SummaryView:
    return SummaryView(
        id=summary.id, cycle_id=cycle.id, cycle_label=cycle.label, state=summary.state,
        state_label=states.SUMMARY.label(summary.state), paragraphs=list(summary.paragraphs or []),
        voice_media_ids=list(summary.voice_media_ids or []), returned_reason=summary.returned_reason,
        version=summary.version, deadline=format_local(cycle.summary_due, policy), editable=editable,
    )


def _is_editable(session: Session, cycle: Cycle, summary: Summary, policy: Policy, now: datetime) -> bool:
    if summary.state not in ("draft", "returned"):
        return False
    try:
        _writable(session, cycle, summary, policy, now)
        return True
    except Conflict:
        return False


def start_or_resume(session: Session, actor: Actor, policy: Policy, now: datetime | None = None) -> SummaryView:
    """The person's current summary, created as an empty draft on first use."""
    now = now or utcnow()
    evaluation, cycle = _own_evaluation(session, actor, policy)
    summary = _summary_for(session, cycle, actor.person_id, create=False)
    if summary is None:
        _writable(session, cycle, None, policy, now)
        summary = _summary_for(session, cycle, actor.person_id, create=True)
        audit.record(session, actor, "summary.create", "summary", summary.id, None, {"cycle_id": cycle.id})
    return view(summary, cycle, policy, _is_editable(session, cycle, summary, policy, now))


def my_summary(session: Session, actor: Actor, policy: Policy, now: datetime | None = None) -> SummaryView | None:
    """Read-only: the current summary, or None when not started."""
    evaluation, cycle = _own_evaluation(session, actor, policy)
    summary = _summary_for(session, cycle, actor.person_id, create=False)
    if summary is None:
        return None
    return view(summary, cycle, policy, _is_editable(session, cycle, summary, policy, now or utcnow()))


def editor(session: Session, actor: Actor, policy: Policy, now: datetime | None = None
           ) -> tuple[SummaryView | None, bool]:
    """What a page editor needs, without creating anything: the summary (None when not started) and whether the
    person may write it now (the same checks as a save)."""
    now = now or utcnow()
    evaluation, cycle, summary = _own_current(session, actor, policy)
    if summary is not None:
        editable = _is_editable(session, cycle, summary, policy, now)
        return view(summary, cycle, policy, editable), editable
    try:
        _writable(session, cycle, None, policy, now)
        return None, True
    except Conflict:
        return None, False


def _check_text(paragraphs: list[str], policy: Policy) -> None:
    limits = policy.summary
    if len(paragraphs) > limits.max_paragraphs:
        raise InvalidInput(f"个人小结最多 {limits.max_paragraphs} 段", "summary_too_many_paragraphs",
                           max=limits.max_paragraphs)
    for i, p in enumerate(paragraphs, start=1):
        if len(p) > limits.max_paragraph_chars:
            raise InvalidInput(f"第 {i} 段超过 {limits.max_paragraph_chars} 字，请分成几段", "summary_paragraph_too_long",
                               paragraph=i, max=limits.max_paragraph_chars)
    total = sum(len(p) for p in paragraphs)
    if total > limits.max_chars:
        raise InvalidInput(f"个人小结合计不能超过 {limits.max_chars} 字（现为 {total} 字）", "summary_too_long",
                           max=limits.max_chars, actual=total)


def _editable_summary(session: Session, actor: Actor, policy: Policy, now: datetime,
                      expected_version: int | None) -> tuple[Summary, Cycle]:
    evaluation, cycle, summary = _own_current(session, actor, policy)
    _writable(session, cycle, summary, policy, now)
    if summary is None:
        summary = _summary_for(session, cycle, actor.person_id, create=True)
        audit.record(session, actor, "summary.create", "summary", summary.id, None, {"cycle_id": cycle.id})
        if expected_version == 0:  # 0: "I saw no summary yet", which holds
            expected_version = summary.version
    _check_editable(summary, expected_version)
    return summary, cycle


def _editable_text(session: Session, actor: Actor, policy: Policy, now: datetime,
                   expected_version: int | None) -> tuple[Summary | Columns, Cycle | Columns]:
    """As :func:`_editable_summary` (the same checks and answers) for the text writers, which only read columns and
    write through :func:`_store_text`: the draft and its cycle as plain rows. A quarter's first write, which creates
    the draft, goes through :func:`_editable_summary`."""
    if actor.person_id is None:
        raise Forbidden("只有考核对象本人可以填写个人小结")
    row = session.execute(_CURRENT_TEXT, {"person_id": actor.person_id}).first()
    if row is None:
        raise _no_current_cycle(session, actor, policy)
    values = tuple(row)
    if values[len(_TEXT_CYCLE)] is None:  # no draft yet
        return _editable_summary(session, actor, policy, now, expected_version)
    cycle = _CycleColumns(**dict(zip(_TEXT_CYCLE, values[:len(_TEXT_CYCLE)])))
    summary = Columns(**dict(zip(_TEXT_SUMMARY, values[len(_TEXT_CYCLE):])))
    _writable(session, cycle, summary, policy, now)
    _check_editable(summary, expected_version)
    return summary, cycle


def _check_editable(summary: Summary | Columns, expected_version: int | None) -> None:
    if summary.state not in ("draft", "returned"):
        raise Conflict(f"个人小结{states.SUMMARY.label(summary.state)}，如需修改请先撤回", "summary_not_editable",
                       state=summary.state)
    if expected_version is not None and expected_version != summary.version:
        raise Conflict("个人小结已在其他设备上修改，请刷新后再保存", "version_conflict",
                       expected=expected_version, current=summary.version)


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("个人小结已在其他设备上修改，请刷新后再保存", "version_conflict") from None


_S = Summary.__table__
# The draft's text, guarded by the version that was read, with its audit row (one statement on PostgreSQL).
_SET_TEXT = audit.AuditedUpdate(update(_S).where(_S.c.id == bindparam("id_"), _S.c.version == bindparam("expected"))
                                .values(paragraphs=bindparam("paragraphs"), voice_media_ids=bindparam("voices"),
                                        updated_at=bindparam("now"), version=bindparam("new_version")))


def _store_text(session: Session, actor: Actor, summary: Summary, paragraphs: list[str], voice_media_ids: list[str],
                action: str, before: dict | None, after: dict) -> None:
    """Write the draft's text with one versioned UPDATE (a concurrent edit makes it match nothing) and its audit row
    ``action``, then make the loaded object agree without marking it dirty. Cheaper than the ORM's flush on the
    chat's hot path."""
    now, version = utcnow(), summary.version
    done = _SET_TEXT.execute(session, {"id_": summary.id, "expected": version, "paragraphs": paragraphs,
                                       "voices": voice_media_ids, "now": now, "new_version": version + 1},
                             actor, action, "summary", summary.id, before, after)
    if done != 1:
        raise Conflict("个人小结已在其他设备上修改，请刷新后再保存", "version_conflict")
    changed = (("paragraphs", paragraphs), ("voice_media_ids", voice_media_ids), ("updated_at", now),
               ("version", version + 1))
    if isinstance(summary, Columns):
        for key, value in changed:
            setattr(summary, key, value)
        loaded = session.identity_map.get(identity_key(Summary, summary.id))
        if loaded is not None:  # an ORM copy loaded earlier in this unit of work is stale now: never flush it
            session.expire(loaded)
    else:
        for key, value in changed:
            set_committed_value(summary, key, value)


def add_paragraph(session: Session, actor: Actor, policy: Policy, text: str, *, voice_media_id: str | None = None,
                  now: datetime | None = None) -> SummaryView:
    text = text.strip()
    if not text and not voice_media_id:
        raise InvalidInput("内容为空，未添加", "empty_paragraph")
    summary, cycle = _editable_text(session, actor, policy, now or utcnow(), None)
    paragraphs = list(summary.paragraphs or [])
    if text:
        paragraphs.append(text)
        _check_text(paragraphs, policy)
    voices = [*(summary.voice_media_ids or []), voice_media_id] if voice_media_id else list(summary.voice_media_ids or [])
    _store_text(session, actor, summary, paragraphs, voices, "summary.add_paragraph", None,
                {"paragraphs": len(paragraphs), "voice_media_id": voice_media_id})
    return view(summary, cycle, policy, True)


def remove_last_paragraph(session: Session, actor: Actor, policy: Policy, now: datetime | None = None) -> tuple[str, SummaryView]:
    summary, cycle = _editable_text(session, actor, policy, now or utcnow(), None)
    paragraphs = list(summary.paragraphs or [])
    if not paragraphs:
        raise Conflict("个人小结还是空的，没有可删除的段落", "nothing_to_remove")
    removed = paragraphs.pop()
    _store_text(session, actor, summary, paragraphs, list(summary.voice_media_ids or []), "summary.remove_paragraph",
                {"paragraph": removed}, {"paragraphs": len(paragraphs)})
    return removed, view(summary, cycle, policy, True)


def save_draft(session: Session, actor: Actor, policy: Policy, paragraphs: list[str], *, expected_version: int | None,
               now: datetime | None = None) -> SummaryView:
    """Replace the whole draft (Mini Program autosave). ``expected_version`` guards against silent overwrites."""
    cleaned = [p.strip() for p in paragraphs if p and p.strip()]
    _check_text(cleaned, policy)
    summary, cycle = _editable_text(session, actor, policy, now or utcnow(), expected_version)
    before = {"paragraphs": len(summary.paragraphs or [])}
    _store_text(session, actor, summary, cleaned, list(summary.voice_media_ids or []), "summary.save", before,
                {"paragraphs": len(cleaned)})
    return view(summary, cycle, policy, True)


def _revision(session: Session, actor: Actor, summary: Summary, action: str) -> None:
    number = len(session.scalars(select(SummaryRevision.id).where(SummaryRevision.summary_id == summary.id)).all()) + 1
    session.add(SummaryRevision(summary_id=summary.id, number=number, action=action,
                                paragraphs=list(summary.paragraphs or []), actor=actor.ref))


def _move(session: Session, actor: Actor, summary: Summary, action: str, **changes) -> None:
    try:
        target = states.SUMMARY.next_state(summary.state, action)
    except RuleViolation as exc:
        raise from_rule(exc) from None
    before = {"state": summary.state}
    summary.state = target
    for key, value in changes.items():
        setattr(summary, key, value)
    _revision(session, actor, summary, action)
    _flush(session)
    audit.record(session, actor, f"summary.{action}", "summary", summary.id, before, {"state": target, **changes})


def submit(session: Session, actor: Actor, policy: Policy, *, expected_version: int | None = None,
           now: datetime | None = None) -> SummaryView:
    now = now or utcnow()
    summary, cycle = _editable_summary(session, actor, policy, now, expected_version)
    if not summary.paragraphs:
        raise InvalidInput("个人小结还是空的，请先填写内容再提交", "summary_empty")
    _move(session, actor, summary, "submit", submitted_at=now, returned_reason=None)
    return view(summary, cycle, policy, False)


def withdraw(session: Session, actor: Actor, policy: Policy, now: datetime | None = None) -> SummaryView:
    """Take a submitted summary back while the step is still open and the supervisor has not started scoring."""
    now = now or utcnow()
    evaluation, cycle = _own_evaluation(session, actor, policy)
    summary = _summary_for(session, cycle, actor.person_id, create=False)
    _check_withdrawable(session, policy, evaluation, cycle, summary, now)
    _move(session, actor, summary, "withdraw", submitted_at=None)
    return view(summary, cycle, policy, True)


def withdraw_refusal(session: Session, actor: Actor, policy: Policy, now: datetime | None = None) -> str | None:
    """Why “撤回” would be refused now (None: it would work) — so no message offers a withdrawal that is refused."""
    try:
        evaluation, cycle = _own_evaluation(session, actor, policy)
        summary = _summary_for(session, cycle, actor.person_id, create=False)
        _check_withdrawable(session, policy, evaluation, cycle, summary, now or utcnow())
    except DomainError as exc:
        return exc.message
    return None


def _check_withdrawable(session: Session, policy: Policy, evaluation: Evaluation, cycle: Cycle,
                        summary: Summary | None, now: datetime) -> None:
    if summary is None or summary.state != "submitted":
        raise Conflict("个人小结尚未提交，无需撤回", "summary_not_submitted")
    _writable(session, cycle, None, policy, now)
    if evaluation.state != "pending":
        raise Conflict("分管领导已开始评鉴，不能撤回个人小结；如需修改请联系分管领导退回", "scoring_started")


def latest_filed(session: Session, person_id: int, today: date) -> tuple[Evaluation, Cycle] | None:
    """With no quarter in progress: the person's last quarter if it has just ended (filed this calendar quarter or
    for the previous one), so they read "已结束", not "尚未开始"."""
    row = session.execute(
        select(Evaluation, Cycle).join(Cycle, Cycle.id == Evaluation.cycle_id)
        .where(Evaluation.person_id == person_id, Cycle.state == "filed")
        .order_by(Cycle.year.desc(), Cycle.quarter.desc()).limit(1)).first()
    if row is None:
        return None
    this = today.year * 4 + (today.month - 1) // 3
    return (row[0], row[1]) if this - (row[1].year * 4 + row[1].quarter - 1) <= 1 else None


def readable_summary(session: Session, actor: Actor, summary_id: int) -> tuple[Summary, Evaluation]:
    """A summary the actor may read: their own, one assigned to them to score, or one in a unit they administer.
    Anything else is "not found", so ids cannot be probed."""
    summary = session.get(Summary, summary_id)
    if summary is None:
        raise NotFound("找不到该个人小结")
    evaluation = session.scalar(select(Evaluation).where(Evaluation.cycle_id == summary.cycle_id,
                                                         Evaluation.person_id == summary.person_id))
    cycle = session.get(Cycle, summary.cycle_id)
    allowed = (
        summary.person_id == actor.person_id
        or (evaluation is not None and evaluation.supervisor_id == actor.person_id and actor.person_id is not None)
        or actor.can_view_unit(cycle.unit_id)
    )
    if not allowed:
        raise NotFound("找不到该个人小结")
    return summary, evaluation


def return_for_revision(session: Session, actor: Actor, policy: Policy, summary_id: int, reason: str) -> SummaryView:
    """The assigned supervisor sends a submitted summary back with a reason."""
    reason = (reason or "").strip()
    summary, evaluation = readable_summary(session, actor, summary_id)
    if evaluation is None or evaluation.supervisor_id != actor.person_id:
        raise Forbidden("只有负责评鉴的分管领导可以退回个人小结", "not_assigned_supervisor")
    if not reason:
        raise InvalidInput("请填写退回原因", "reason_required")
    if len(reason) > 500:
        raise InvalidInput("退回原因不能超过 500 字", "reason_too_long")
    cycle = session.get(Cycle, summary.cycle_id)
    if cycle.state not in ("open", "scoring"):
        raise Conflict(f"考核已进入“{states.CYCLE.label(cycle.state)}”阶段，不能再退回个人小结", "cycle_not_open")
    _move(session, actor, summary, "return", returned_reason=reason)
    session.flush()
    key, text = returned_notice(session, summary.person_id, policy)
    notices.notify_person(session, summary.person_id, text, kind="personal", dedupe_key=key, title="个人小结被退回修改",
                          facts={"lead": "请修改后重新提交", "deadline": cycle.summary_due})
    return view(summary, cycle, policy, False)


def returned_notice(session: Session, person_id: int, policy: Policy) -> tuple[str, str] | None:
    """``(key, text)`` telling the person their summary was returned (with the reason), or None.

    ``key`` is the same for one return and differs for the next (a return always follows a new submission), so a
    channel can send each return once: ``summary-returned:<summary id>:<submitted_at>``.
    Also meant for the outbound channel of the scheduler (template / customer-service message).
    """
    row = session.execute(
        select(Summary.id, Summary.submitted_at, Summary.returned_reason, Cycle.year, Cycle.quarter)
        .join(Cycle, Cycle.id == Summary.cycle_id)
        .where(Summary.person_id == person_id, Summary.state == "returned")
        .order_by(Cycle.year.desc(), Cycle.quarter.desc()).limit(1)
    ).first()
    if row is None:
        return None
    text = (f"您的{row.year}年第{row.quarter}季度个人小结已被分管领导退回修改。\n"
            f"原因：{row.returned_reason or '（未填写）'}\n发送“写小结”修改，改好后发送“提交”重新提交。")
    stamp = int(row.submitted_at.timestamp() * 1_000_000) if row.submitted_at else 0  # µs: two quick resubmits differ
    return f"summary-returned:{row.id}:{stamp}", text
