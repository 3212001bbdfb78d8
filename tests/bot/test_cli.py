"""The ``kaohe`` command as scripts and operators use it."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from bot.cli import main
from models.rules.calendar import quarter_of
from tests.handlers.test_roster import HEAD


@pytest.fixture
def run(database_url, db):
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url, **(env or {})},
                             catch_exceptions=False)

    return invoke


def roster_file(path, rows):
    wb = Workbook()
    wb.active.append(HEAD)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return str(path)


GOOD = [
    ["A001", "张局长", "县财政局", "机关", "办公室", "中层干部", "局长", "", "是", "", "13800000001", "行政编制",
     "2001-07-01", "在职", "单位管理员", ""],
    ["A002", "王干事", "县财政局", "机关", "办公室", "一般干事", "综合文秘", "一级科员", "否", "A001", "13800000002",
     "行政编制", "2015-07-01", "在职", "", ""],
]


def test_import_roster_reports_and_export_writes_it_back(run, tmp_path):
    result = run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", GOOD))
    assert result.exit_code == 0, result.output
    assert "共 2 行：新增 2 人" in result.output
    out = tmp_path / "out.xlsx"
    result = run("export-roster", "-o", str(out))
    assert result.exit_code == 0 and "已导出 2 人" in result.output and out.exists()


def test_a_bad_roster_prints_every_row_error_and_imports_nothing(run, tmp_path):
    bad = [GOOD[0], ["A002", "", "县财政局", "机关", "", "", "", "", "也许", "", "123", "", "昨天", "", "", ""]]
    result = run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", bad))
    assert result.exit_code == 1
    for line in ("花名册有 1 行错误，未导入任何数据", "第 3 行「姓名」：不能为空", "第 3 行「是否领导」：只能填“是”或“否”",
                 "第 3 行「录用日期」：日期格式应为 YYYY-MM-DD"):
        assert line in result.output
    assert "新增" not in run("export-roster", "-o", str(tmp_path / "o.xlsx")).output
    result = run("import-roster", "--skip-invalid", "--create-units", roster_file(tmp_path / "r.xlsx", bad))
    assert result.exit_code == 0 and "新增 1 人" in result.output and "跳过有错误的行 1 行" in result.output


def test_seed_and_annual_json_shape(run):
    result = run("seed-demo", "--units", "4", "--people", "40", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "已生成 4 个单位、40 人" in result.output and "行/秒" in result.output
    people = json.loads(run("annual", "--year", "2021", "--json").output)
    assert 18 < len(people) <= 40 - 4 * 3  # 班子成员 (3 a unit): the county's; people hired after 2021: none
    first = people[0]
    assert set(first) >= {"staff_no", "name", "quarters", "excellent_eligible", "excellent_priority", "max_grade",
                          "forced_grade", "reasons"}
    assert len(first["quarters"]) == 4
    one = json.loads(run("annual", "--year", "2021", "--person", first["staff_no"], "--json").output)
    assert one == [first]
    table = run("annual", "--year", "2021", "--unit", first["unit"]).output
    assert table.splitlines()[0].startswith("人员编号\t姓名\t单位\t一季度")


def test_annual_for_an_unknown_person_is_a_clear_error(run):
    result = run("annual", "--year", "2021", "--person", "NOBODY")
    assert result.exit_code == 1 and "找不到人员编号为 NOBODY 的人员" in result.output


def test_a_wrong_setting_stops_with_one_line(run):
    result = run("db", "upgrade", env={"KAOHE_POLICY": "atlantis"})
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "KAOHE_POLICY" in result.output


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("demo", "serve", "db", "import-roster", "export-roster", "seed-demo", "annual", "changes"):
        assert command in result.output


def test_bind_code_prints_a_code_for_the_person(run, tmp_path):
    run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", GOOD))
    result = run("bind-code", "--person", "A002")
    assert result.exit_code == 0
    code = result.output.splitlines()[0]
    assert len(code) == 8 and code.isalnum()
    assert run("bind-code", "--person", "NOBODY").exit_code == 1


def test_cycle_commands_open_advance_and_reassign(run, tmp_path):
    three = GOOD + [["A003", "赵干事", "县财政局", "机关", "办公室", "一般干事", "综合文秘", "", "否", "A001",
                     "13800000003", "行政编制", "2015-07-01", "在职", "分管领导", ""]]
    run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", three))  # effective today: in this quarter's roster
    y, q = quarter_of(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    when = ("--year", str(y), "--quarter", str(q))
    result = run("cycle", "open", "--unit", "县财政局", *when)
    assert result.exit_code == 0 and f"已开启县财政局{y}年第{q}季度考核，考核对象 2 人" in result.output
    assert "请注意：不参加本单位平时考核 1 人（单位领导班子成员由县委组织部考核，不参加本单位平时考核）：张局长（A001）" \
        in result.output
    result = run("cycle", "assign", "--unit", "县财政局", *when, "--person", "A002",
                 "--supervisor", "A003")
    assert result.exit_code == 0 and "评鉴人改为 A003" in result.output
    result = run("cycle", "advance", "--unit", "县财政局", *when, "publish")
    assert result.exit_code == 1 and "不能开始结果公示" in result.output
    result = run("cycle", "advance", "--unit", "县财政局", *when, "start_scoring")
    assert result.exit_code == 1 and "还有 2 人未提交：王干事、赵干事" in result.output and "请填写原因" in result.output
    result = run("cycle", "advance", "--unit", "县财政局", *when, "start_scoring", "--reason", "县里通知提前")
    assert result.exit_code == 0 and "领导评鉴" in result.output


def test_person_lookup_by_phone_masks_it(run, tmp_path):
    run("import-roster", "--create-units", roster_file(tmp_path / "r.xlsx", GOOD))
    result = run("person", "13800000002")
    assert "A002" in result.output and "138****0002" in result.output and "13800000002" not in result.output
