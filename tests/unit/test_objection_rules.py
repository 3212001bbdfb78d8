"""The rules of answering an objection (异议 → 复核), as tables: what an answer must carry, when the person may
escalate, and the clocks — the policy's working days, or the civil-service law's calendar days for the grades the
policy marks (hengyang: 较差)."""
from datetime import UTC, date, datetime, timedelta

import pytest

from config.policy import PolicyError, load_policy
from models.rules import feedback as r

from .test_feedback_rules import _profile

P = load_policy("hengyang")
FILED = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Friday 10:00 in Beijing
TODAY = date(2026, 12, 1)


def end_of(day: str) -> datetime:  # 23:59:59 in Beijing
    return datetime.fromisoformat(day).replace(hour=15, minute=59, second=59, tzinfo=UTC)


@pytest.mark.parametrize("facts, code", [
    (r.AnswerFacts("uphold", "评分依据充分"), None),
    (r.AnswerFacts("uphold", "  "), "reason_required"),
    (r.AnswerFacts("reject", "理由"), "bad_answer"),
    (r.AnswerFacts("change", "复议", "好", "较好", meeting_on=date(2026, 11, 30), attendees="全体"), None),
    (r.AnswerFacts("change", "复议", "优", "较好", meeting_on=date(2026, 11, 30), attendees="全体"), "bad_grade"),
    (r.AnswerFacts("change", "复议", "较好", "较好", meeting_on=date(2026, 11, 30), attendees="全体"), "same_grade"),
    (r.AnswerFacts("change", "复议", "好", None, not_graded=True, meeting_on=date(2026, 11, 30), attendees="全体"),
     "not_graded"),
    (r.AnswerFacts("change", "复议", "好", "较好", attendees="全体"), "meeting_required"),
    (r.AnswerFacts("change", "复议", "好", "较好", meeting_on=date(2026, 12, 2), attendees="全体"), "meeting_in_future"),
    (r.AnswerFacts("change", "复议", "好", "较好", meeting_on=date(2026, 11, 30), attendees=" "), "attendees_required"),
])
def test_what_an_answer_must_carry(facts, code):
    refusal = r.answer_refusal(facts, TODAY, P)
    assert (refusal.code if refusal else None) == code
    if refusal:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in refusal.message)


@pytest.mark.parametrize("grade, answer_due, escalate_ends, objection_ends", [
    # working days (the weekends of 11-28/29, 12-5/6 do not count): answer 10, escalate 5, object 5
    ("较好", "2026-12-11", "2026-12-04", "2026-12-04"),
    ("不定等次（试用期）", "2026-12-11", "2026-12-04", "2026-12-04"),
    # the law (calendar days): decided within 30 days, 申诉 within 15 of the decision, 复核 asked within 30
    ("较差", "2026-12-27", "2026-12-12", "2026-12-27"),
])
def test_the_clocks_are_the_policys_working_days_or_the_laws_calendar_days(grade, answer_due, escalate_ends,
                                                                           objection_ends):
    assert r.law_applies(grade, P) == (grade == "较差")
    assert r.answer_due(FILED, P, grade) == end_of(answer_due)
    assert r.escalate_deadline(FILED, P, grade) == end_of(escalate_ends)
    assert r.objection_deadline(FILED, None, P, grade) == end_of(objection_ends)


@pytest.mark.parametrize("answered_at, now, grade, code", [
    (None, FILED, "较好", "not_answered"),
    (FILED, end_of("2026-12-04"), "较好", None),
    (FILED, end_of("2026-12-04") + timedelta(seconds=1), "较好", "escalation_window_closed"),
    (FILED, end_of("2026-12-12"), "较差", None),
    (FILED, end_of("2026-12-12") + timedelta(seconds=1), "较差", "escalation_window_closed"),
])
def test_when_the_person_may_escalate(answered_at, now, grade, code):
    refusal = r.escalate_refusal(answered_at, now, P, grade)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize("state, now, overdue", [
    ("open", end_of("2026-12-11"), False),
    ("open", end_of("2026-12-11") + timedelta(seconds=1), True),
    ("upheld", end_of("2026-12-20"), False),
])
def test_an_answer_is_overdue_only_while_still_open_after_its_limit(state, now, overdue):
    assert r.answer_overdue(state, end_of("2026-12-11"), now) is overdue
    assert r.age_days(FILED, FILED + timedelta(days=3, hours=5)) == 3


@pytest.mark.parametrize("change", [{"law_appeal_days": 0}, {"escalate_working_days": 0},
                                    {"answer_remind_offsets_days": [-2]}])
def test_the_profile_refuses_bad_objection_clocks(change):
    from config.policy import parse_policy

    with pytest.raises(PolicyError):
        parse_policy(_profile(**change))
