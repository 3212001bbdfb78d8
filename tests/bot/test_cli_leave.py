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
