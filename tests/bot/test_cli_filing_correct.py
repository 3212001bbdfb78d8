"""``kaohe filing correct``: 更正备案 of a 结果一览表 an objection changed after filing, from the command line."""
from datetime import UTC, date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from handlers.quarter import feedback, objections, publishing
from models import AuditEntry, Filing, Objection
from tests.feedback_world import decided


@pytest.fixture
def run(database_url, db):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url},
                                       catch_exceptions=False)


def test_the_cli_files_a_correction_after_a_regrade(run, db, policy):
    with db.session() as s:
        w = decided(s, policy)
        feedback.file_objection(s, w.actor(s, "王芳"), policy, "等次偏低", channel="chat")
        ends = w.cycle.publicity_ends
        after = (ends if ends.tzinfo else ends.replace(tzinfo=UTC)) + timedelta(days=1)
        fid = publishing.file_results(s, w.hr, policy, w.cycle.id, now=after).id
        s.commit()
    early = run("filing", "correct", "--unit", "县财政局", "--year", "2026", "--quarter", "3")
    assert early.exit_code == 1 and "无需更正备案" in early.output
    with db.session() as s:
        objections.answer(s, w.hr, policy, s.scalar(select(Objection.id)), "change", "党委复议", new_grade="一般",
                          meeting_on=date(2026, 10, 19), attendees="张局长、党委全体成员", now=after)
    r = run("filing", "correct", "--unit", "县财政局", "--year", "2026", "--quarter", "3")
    assert r.exit_code == 0 and f"备案 {fid}：县财政局2026年第3季度结果一览表已更正备案（第 1 次更正）" in r.output
    assert run("filing", "correct", "--unit", "县财政局", "--year", "2026").exit_code == 2
    with db.session() as s:
        f = s.get(Filing, fid)
        assert f.state == "submitted" and f.changed_at is None and len(f.history) == 1
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "filing.correct")) == "system:cli"
