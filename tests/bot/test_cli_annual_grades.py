"""``kaohe annual-grades``: the unit's sheet, recording a grade (refused outside the rules, in Chinese, exit 1),
everyone at the suggestion, and telling people."""
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from models import AnnualResult, AuditEntry, Notice
from tests.annual_world import year_decided


@pytest.fixture
def run(database_url, db):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url}, catch_exceptions=False)

    return invoke


def test_recording_and_telling_from_the_command_line(run, db, policy):
    with db.session() as s:
        year_decided(s, policy)
    listed = run("annual-grades", "list", "--unit", "县财政局", "--year", "2025")
    assert listed.exit_code == 0 and "F003\t王芳\t较差\t较差\t较差\t较差\t不称职\t不称职\t—\t未告知" in listed.output
    refused = run("annual-grades", "record", "--unit", "县财政局", "--year", "2025", "--person", "F004",
                  "--grade", "称职")
    assert refused.exit_code == 1 and "最高只能定为“基本称职”" in refused.output
    ok = run("annual-grades", "record", "--unit", "县财政局", "--year", "2025", "--person", "F004", "--grade", "不称职",
             "--json")
    assert ok.exit_code == 0 and json.loads(ok.output)["grade"] == "不称职"
    assert json.loads(run("annual-grades", "record-all", "--unit", "县财政局", "--year", "2025", "--json").output)[
        "recorded"] == 3
    told = run("annual-grades", "feedback", "--unit", "县财政局", "--year", "2025")
    assert told.exit_code == 0 and "told：4" in told.output
    with db.session() as s:
        assert s.scalar(select(AnnualResult.decided_by).where(AnnualResult.grade == "不称职").limit(1)) == "system:cli"
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "annual.feed_back")).all()) == 4
        assert s.scalar(select(Notice).where(Notice.dedupe_key.startswith("annual-feedback:")).limit(1)) is not None
    rolled = run("annual", "--year", "2025", "--unit", "县财政局")
    [zhao] = [line for line in rolled.output.splitlines() if line.startswith("F004\t")]
    assert zhao.endswith("\t不称职")  # the roll-up shows the recorded grade in force
