"""Quarterly cycles and the forms filled in during them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, JSONType, UTCDateTime, utcnow
from .org import Person, Tier, Unit


class Cycle(Base):
    """One unit's evaluation for one quarter. ``state`` follows ``models.rules.states.CYCLE``."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("unit_id", "year", "quarter"), Index("ix_cycles_year_quarter", "year", "quarter"))
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    summary_due: Mapped[datetime] = mapped_column(UTCDateTime)
    scoring_due: Mapped[datetime] = mapped_column(UTCDateTime)
    decision_due: Mapped[datetime] = mapped_column(UTCDateTime)
    filing_due: Mapped[datetime] = mapped_column(UTCDateTime)
    publicity_ends: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the results were last fed back to the people (公示 began) and how many times: a filing the county returns
    # is decided and published again, and each person then signs (本人签署意见) that publication afresh.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publication: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    unit: Mapped[Unit] = relationship()

    @property
    def label(self) -> str:
        return cycle_label(self.year, self.quarter)


def cycle_label(year: int, quarter: int) -> str:
    return f"{year}年第{quarter}季度"


def period_label(year: int, quarter: int | None) -> str:
    """A filing's period: 2026年第4季度, or 2026年 for a yearly one (quarter 0)."""
    return cycle_label(year, quarter) if quarter else f"{year}年"


class Indicator(Base):
    """One line of the cycle's 《考核评鉴表》. ``post`` is '' for the unit-wide set, or a post name."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("cycle_id", "post", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    post: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(8))  # common | specific
    dimension: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(100))
    points: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


#: Summaries the board counts as submitted (handlers.county.oversight.SUBMITTED), as the partial index's predicate.
SUBMITTED_SQL = "state IN ('submitted', 'locked')"


class Summary(Base):
    """《平时考核登记表》: the personal summary, as paragraphs. Optimistic concurrency on ``version``."""

    __tablename__ = "summaries"
    __table_args__ = (
        UniqueConstraint("cycle_id", "person_id"),
        # The county board's count of submitted summaries, read from the index alone (migration 0013).
        Index("ix_summaries_submitted", "cycle_id", "person_id", postgresql_where=text(SUBMITTED_SQL),
              sqlite_where=text(SUBMITTED_SQL)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    paragraphs: Mapped[list] = mapped_column(JSONType, default=list)
    voice_media_ids: Mapped[list] = mapped_column(JSONType, default=list)
    returned_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs or [])


class SummaryRevision(Base):
    __tablename__ = "summary_revisions"
    __table_args__ = (UniqueConstraint("summary_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summaries.id"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    paragraphs: Mapped[list] = mapped_column(JSONType)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evaluation(Base):
    """《考核评鉴表》 for one evaluatee in one cycle; the row also fixes who is evaluated (the quarter's roster).

    ``scores`` maps indicator id (as a string) to points. ``supervisor_id`` is the assigned scorer.
    """

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("cycle_id", "person_id"),
        Index("ix_evaluations_supervisor", "supervisor_id", "cycle_id"),
        Index("ix_evaluations_person", "person_id"),
        # Everything the county board counts, in (cycle, person) order, so the count reads the index alone and
        # merges with ix_summaries_submitted (migration 0013).
        Index("ix_evaluations_progress", "cycle_id", "person_id", "tier_id", "state", "not_graded_reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    post: Mapped[str] = mapped_column(String(100), default="")
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    scores: Mapped[dict] = mapped_column(JSONType, default=dict)
    total: Mapped[float | None] = mapped_column(Float)
    suggested_grade: Mapped[str | None] = mapped_column(String(4))
    final_grade: Mapped[str | None] = mapped_column(String(4))
    not_graded_reason: Mapped[str | None] = mapped_column(String(200))
    # Why the supervisor scored a person whose summary was not submitted (the policy allows it with a reason).
    no_summary_note: Mapped[str | None] = mapped_column(String(200))
    # The quarter's 加扣分 in force (handlers.quarter.merits keeps it current), so a score save adds it without a query.
    merit_adjustment: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    supervisor: Mapped[Person | None] = relationship(foreign_keys=[supervisor_id])
    tier: Mapped[Tier] = relationship()


class CommitteeDecision(Base):
    """The party committee's (党委/党组) meeting that fixed the cycle's final grades."""

    __tablename__ = "committee_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), unique=True)
    meeting_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Filing(Base):
    """备案 with the county office: annual plan + roster, quarterly changes, quarterly results."""

    __tablename__ = "filings"
    __table_args__ = (UniqueConstraint("kind", "unit_id", "year", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # annual_plan | changes | results
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0 for annual filings
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # a results filing whose grades changed after it was filed (an objection's regrade): since when, and each change
    # (staff_no, name, from, to, objection_id, at); cleared by the unit's 更正备案, which moves the earlier submission
    # (payload, who, when, review) into ``history``
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changes: Mapped[list | None] = mapped_column(JSONType)
    history: Mapped[list | None] = mapped_column(JSONType)


class ResultSignoff(Base):
    """本人签署意见: the person's answer to one publication of their result — ``agree`` (同意) or ``object``
    (有异议, then an :class:`Objection` holds the reason) — with an optional comment and the time. Never changed."""

    __tablename__ = "result_signoffs"
    __table_args__ = (UniqueConstraint("evaluation_id", "publication"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    publication: Mapped[int] = mapped_column(SmallInteger)  # the cycle's publication this answers
    choice: Mapped[str] = mapped_column(String(8))  # agree | object
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # chat | page | api
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Objection(Base):
    """异议: a person's objection to one publication of their grade. ``state`` follows
    ``models.rules.states.OBJECTION`` (filed ``open``; the unit's answer, the person's acceptance or escalation and
    the county's view are later steps on the same row). ``answer_due`` is the policy's working-day limit for the
    unit's answer, fixed when the objection is filed.

    ``kind`` ``quarter`` (a quarter's published grade: ``evaluation_id``, ``cycle_id``, ``publication``) or
    ``annual`` (a year's recorded annual grade, a 复核 under the law: ``annual_result_id``; no cycle)."""

    __tablename__ = "objections"
    __table_args__ = (UniqueConstraint("evaluation_id", "publication"), Index("ix_objections_cycle_state", "cycle_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="quarter", server_default="quarter")
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    annual_result_id: Mapped[int | None] = mapped_column(ForeignKey("annual_results.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    publication: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(16), default="open")
    grade: Mapped[str] = mapped_column(String(40))  # the grade (or 不定等次) objected to, as published
    reason: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(64))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The unit's answer (handlers.quarter.objections.answer): upheld with the reason, or the grade changed by the committee
    # (its meeting recorded; ``grade`` keeps the grade objected to, ``new_grade`` the grade now in force).
    answer: Mapped[str | None] = mapped_column(Text)
    new_grade: Mapped[str | None] = mapped_column(String(40))
    meeting_on: Mapped[date | None] = mapped_column(Date)
    meeting_attendees: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person's reply to the answer: accepted (closed) or escalated to the county office, with the reason.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    # The county office's conclusion of an escalated objection.
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    county_note: Mapped[str | None] = mapped_column(Text)
