"""The sign-off and objection rules, as tables: who may sign or object when, what a reason and an attachment
must be, and the working-day deadlines the policy sets."""
from datetime import UTC, datetime

import pytest

from config.policy import PolicyError, load_policy, parse_policy
from models.rules import feedback as r

P = load_policy("hengyang")
FED = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Friday 10:00 in Beijing
SIGNED = datetime(2026, 11, 28, 1, tzinfo=UTC)
ENDS = datetime(2026, 12, 4, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("facts, code", [
    (r.ResultFacts(fed_back=False), "not_fed_back"),
    (r.ResultFacts(fed_back=True, signed=r.AGREE, signed_at=SIGNED), "already_signed"),
    (r.ResultFacts(fed_back=True, signed=r.OBJECT, signed_at=SIGNED), "already_signed"),
    (r.ResultFacts(fed_back=True), None),
])
def test_who_may_sign(facts, code):
    refusal = r.sign_refusal(facts, P)
    assert (refusal.code if refusal else None) == code


def test_signing_twice_names_the_first_time_in_beijing_time():
    refusal = r.sign_refusal(r.ResultFacts(fed_back=True, signed=r.AGREE, signed_at=SIGNED), P)
    assert "2026-11-28 09:00" in refusal.message and "同意" in refusal.message


@pytest.mark.parametrize("facts, now, code", [
    (r.ResultFacts(fed_back=False), FED, "not_fed_back"),
    (r.ResultFacts(fed_back=True, objection=True, objection_ends=ENDS), FED, "objection_exists"),
    (r.ResultFacts(fed_back=True, signed=r.AGREE, signed_at=SIGNED, objection_ends=ENDS), FED, "signed_agree"),
    (r.ResultFacts(fed_back=True, objection_ends=ENDS), ENDS, None),  # the last second still counts
    (r.ResultFacts(fed_back=True, objection_ends=ENDS), datetime(2026, 12, 4, 16, tzinfo=UTC),
     "objection_window_closed"),
    (r.ResultFacts(fed_back=True, objection_ends=None), FED, "objection_window_closed"),
    (r.ResultFacts(fed_back=True, signed=r.OBJECT, signed_at=SIGNED, objection_ends=ENDS), FED, None),
])
def test_who_may_object(facts, now, code):
    refusal = r.objection_refusal(facts, now, P)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize("word, choice", [
    ("同意", r.AGREE), ("无异议", r.AGREE), (" agree ", r.AGREE), ("AGREE", r.AGREE),
    ("有异议", r.OBJECT), ("不同意", r.OBJECT), ("object", r.OBJECT), ("好的", None), ("", None),
])
def test_choice_words(word, choice):
    assert r.parse_choice(word) == choice


@pytest.mark.parametrize("text, what, required, code", [
    ("", "异议理由", True, "reason_required"),
    ("   ", "异议理由", True, "reason_required"),
    ("得分统计有误", "异议理由", True, None),
    ("", "意见", False, None),
    ("字" * 200, "意见", False, None),
    ("字" * 201, "意见", False, "too_long"),
])
def test_reason_and_comment(text, what, required, code):
    refusal = r.text_refusal(text, what, 200, required)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize("data, kind", [
    (b"\xff\xd8\xff\xe0" + b"0" * 100, "jpg"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "png"),
    (b"%PDF-1.7\n" + b"0" * 100, "pdf"),
])
def test_attachment_kinds_are_read_from_the_bytes(data, kind):
    assert r.attachment_kind(data, P) == kind


@pytest.mark.parametrize("data, code", [
    (b"", "attachment_empty"),
    (b"MZ\x90\x00 not a picture", "attachment_type"),
    (b"<html><script>", "attachment_type"),
    (b"%PDF-" + b"0" * (P.feedback.attachment_max_kb * 1024), "attachment_too_large"),
])
def test_attachments_refused(data, code):
    with pytest.raises(r.RuleViolation) as exc:
        r.attachment_kind(data, P)
    assert exc.value.code == code


@pytest.mark.parametrize("fed_back, publicity_ends, sign_due, objection_ends, answer_due", [
    # fed back on Friday 2026-11-27: 3 working days → Wed 12-02, 5 → Fri 12-04, 10 → Fri 12-11 (Beijing, end of day)
    (FED, None, "2026-12-02 23:59", "2026-12-04 23:59", "2026-12-11 23:59"),
    # 公示 lasting longer than the policy's window keeps objections open until it ends
    (FED, datetime(2026, 12, 10, 15, 59, 59, tzinfo=UTC), "2026-12-02 23:59", "2026-12-10 23:59",
     "2026-12-11 23:59"),
    # across National Day 2026 (10-01..10-07 off, Saturday 10-10 a working day): 10-08, 10-09, 10-10 are the three
    (datetime(2026, 9, 30, 2, tzinfo=UTC), None, "2026-10-10 23:59", "2026-10-13 23:59", "2026-10-20 23:59"),
])
def test_deadlines_count_working_days(fed_back, publicity_ends, sign_due, objection_ends, answer_due):
    from models.rules.calendar import format_local

    got_sign = format_local(r.sign_deadline(fed_back, P), P)
    got_obj = format_local(r.objection_deadline(fed_back, publicity_ends, P), P)
    got_answer = format_local(r.answer_due(fed_back, P), P)
    assert (got_sign, got_obj, got_answer) == (sign_due, objection_ends, answer_due)


def test_no_feedback_time_and_no_publicity_means_no_window():
    assert r.objection_deadline(None, None, P) is None


def _profile(**feedback):
    import tomllib

    from config.policy import POLICY_DIR

    with (POLICY_DIR / "hengyang.toml").open("rb") as fh:
        data = tomllib.load(fh)
    data["feedback"] = {**data["feedback"], **feedback}
    return data


@pytest.mark.parametrize("change, message", [
    ({"sign_working_days": 0}, "至少为 1"),
    ({"remind_offsets_days": [-1]}, "不能为负数"),
    ({"attachment_types": ["exe"]}, "只能取"),
    ({"attachment_max_kb": 5120}, "1 MiB"),
])
def test_the_profile_refuses_a_bad_feedback_section(change, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(_profile(**change))


def test_a_profile_without_the_section_gets_the_defaults():
    data = _profile()
    del data["feedback"]
    assert parse_policy(data).feedback.sign_working_days == 3
