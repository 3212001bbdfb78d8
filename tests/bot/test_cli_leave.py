"""``kaohe import-leave``: the console's leave import as a command (same checks, same handler)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from bot.cli import main
from models.rules.calendar import quarter_of
from tests.bot.test_cli import GOOD, roster_file


@pytest.fixture
def run(database_url, db):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url},
                                       catch_exceptions=False)


def leave_file(path, rows):
    wb = Workbook()
    wb.active.append(["人员编号", "姓名", "年度", "季度", "请假天数", "备注"])
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return str(path)


def test_import_leave_checks_every_row_then_imports(run, tmp_path):
    y, q = quarter_of(datetime.now(ZoneInfo("Asia/Shanghai")).date())  # the roster's people joined today
    assert run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", GOOD)).exit_code == 0
    bad = run("import-leave", "--unit", "县财政局",
              leave_file(tmp_path / "l.xlsx", [["A002", "王干事", y, q, 3], ["A002", "李四", y, q, "半天"]]))
    assert bad.exit_code == 1
    for line in ("请假表有 1 行错误，未导入任何数据", "第 3 行「姓名」：与人员编号 A002 的姓名“王干事”不符",
                 "第 3 行「请假天数」：请假天数应为数字", "第 3 行「人员编号」：与第 2 行重复"):
        assert line in bad.output
    good = run("import-leave", "--unit", "县财政局", leave_file(tmp_path / "l.xlsx", [["A002", "王干事", y, q, 3]]))
    assert good.exit_code == 0 and "共 1 条：保存 1 条" in good.output
    unknown = run("import-leave", "--unit", "县财政", leave_file(tmp_path / "l.xlsx", [["A002", "", y, q, 3]]))
    assert unknown.exit_code == 1 and "找不到单位“县财政”" in unknown.output


def test_secondments_are_recorded_edited_and_ended_from_the_cli(run, db, tmp_path):
    from sqlalchemy import select

    from models import AuditEntry
    from models.leave import Secondment

    rows = [*GOOD, ["B001", "李局长", "县交通局", "机关", "办公室", "一般干事", "局长", "", "否", "", "13800000011",
                    "行政编制", "2001-07-01", "在职", "", ""]]
    assert run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", rows)).exit_code == 0
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    from datetime import timedelta

    start, planned = today, today + timedelta(days=200)  # the roster's people joined today
    made = run("secondment", "record", "--person", "A002", "--host", "县交通局", "--start", start.isoformat(),
               "--end", planned.isoformat())
    assert made.exit_code == 0 and "已登记借调" in made.output, made.output
    with db.session() as s:
        sid = s.scalar(select(Secondment.id))
    edited = run("secondment", "edit", "--id", str(sid), "--reason", "补充备注", "--note", "专班")
    assert edited.exit_code == 0 and f"已修改借调 {sid}" in edited.output
    nothing = run("secondment", "edit", "--id", str(sid), "--reason", "核对")
    assert nothing.exit_code == 1 and "没有要修改的内容" in nothing.output
    ended = run("secondment", "end", "--id", str(sid), "--reason", "专班结束")
    assert ended.exit_code == 0 and f"{start.isoformat()} 至 {today.isoformat()}" in ended.output
    listed = run("secondment", "list", "--unit", "县交通局")
    assert listed.exit_code == 0 and "借入" in listed.stdout and "已提前结束：专班结束" in listed.stdout
    assert run("secondment", "list", "--unit", "县交通").exit_code == 1
    with db.session() as s:
        audit = s.execute(select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.object_type == "secondment")
                          .order_by(AuditEntry.id)).all()
    assert audit == [("secondment.create", "system:cli"), ("secondment.edit", "system:cli"),
                     ("secondment.end", "system:cli")]
