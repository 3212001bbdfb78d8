"""``kaohe merits record|list|review|withdraw``: the console's 加扣分 as commands (same handler, same checks, audited as
the CLI), and the 结果一览表 exported from the CLI lists each applied item with its points."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from models import AuditEntry, MeritEvent
from models.rules.calendar import quarter_of
from tests.bot.test_cli import GOOD, roster_file

PDF = b"%PDF-1.4\n" + b"x" * 2000


@pytest.fixture
def run(database_url, db):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url},
                                       catch_exceptions=False)


def test_merits_are_recorded_reviewed_listed_withdrawn_and_shown_in_the_result_list(run, db, tmp_path):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    y, q = quarter_of(today)
    assert run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", GOOD)).exit_code == 0
    assert run("cycle", "open", "--unit", "县财政局", "--year", str(y), "--quarter", str(q)).exit_code == 0

    catalogue = run("merits", "list", "--catalogue")
    assert catalogue.exit_code == 0 and "K01\t无故迟到早退\t-0.5 分/次" in catalogue.output

    missing = run("merits", "record", "--person", "A002", "--item", "J01", "--on", today.isoformat())
    assert missing.exit_code == 1 and "“受到县级表彰奖励”须上传证明材料（表彰文件或证书）" in missing.output
    (tmp_path / "表彰.pdf").write_bytes(PDF)
    award = run("merits", "record", "--person", "A002", "--item", "J01", "--on", today.isoformat(),
                "--description", "县级先进工作者", "--evidence", str(tmp_path / "表彰.pdf"))
    assert award.exit_code == 0 and "王干事（A002）受到县级表彰奖励" in award.output and "待县公务员办审核" in award.output
    late = run("merits", "record", "--person", "A002", "--item", "K01", "--on", today.isoformat(),
               "--description", "迟到")
    assert late.exit_code == 0, late.output
    with db.session() as s:
        award_id, late_id = s.scalars(select(MeritEvent.id).order_by(MeritEvent.id)).all()
        assert s.get(MeritEvent, award_id).evidence_name == "表彰.pdf"
    unknown = run("merits", "record", "--person", "Z999", "--item", "K01", "--on", today.isoformat())
    assert unknown.exit_code == 1

    assert run("merits", "review", "--id", str(award_id), "--approve").exit_code == 0
    rejected = run("merits", "review", "--id", str(late_id), "--reject")
    assert rejected.exit_code == 1 and "不予通过时请填写原因" in rejected.output

    listed = run("merits", "list", "--unit", "县财政局", "--year", str(y), "--quarter", str(q))
    assert listed.exit_code == 0
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and any("受到县级表彰奖励（J01）\t+1 分" in line and "已生效" in line for line in lines)
    assert any("无故迟到早退（K01）\t-0.5 分" in line and "待县公务员办审核" in line for line in lines)
    assert run("merits", "list", "--unit", "县税务局").exit_code == 1

    withdrawn = run("merits", "withdraw", "--id", str(late_id), "--reason", "录错了日期")
    assert withdrawn.exit_code == 0 and "已撤回事项" in withdrawn.output
    again = run("merits", "withdraw", "--id", str(award_id), "--reason", "想撤")
    assert again.exit_code == 1 and "不能撤回" in again.output  # approved under the county's approval rule
    with db.session() as s:
        actions = s.execute(select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.object_type == "merit_event").order_by(AuditEntry.id)).all()
    assert [a for a, _ in actions] == ["merit.record", "merit.record", "merit.review", "merit.withdraw"]
    assert {actor for _, actor in actions} == {"system:cli"}

    out = tmp_path / "results.xlsx"
    assert run("export", "results", "--unit", "县财政局", "--year", str(y), "--quarter", str(q), "-o", str(out)
               ).exit_code == 0
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    head = next(r for r in rows if r[0] == "序号")
    col = head.index("加扣分")
    wang = next(r for r in rows if r[1] == "A002")
    assert wang[col] == f"受到县级表彰奖励（{today.isoformat()}）+1 分"  # the withdrawn 迟到 is not listed
