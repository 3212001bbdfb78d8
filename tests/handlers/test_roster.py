"""Roster import: validate everything first, never duplicate a person, record changes as history."""
from datetime import date

import pytest
from sqlalchemy import func, select

from handlers.actor import system_actor
from handlers.identity.changes import quarterly_changes
from handlers.errors import InvalidInput
from handlers.identity.roster import import_roster, read_workbook, roster_rows, write_workbook
from models import AuditEntry, Membership, Person, RoleGrant, Tier, Unit
from tests import factories as f

HEAD = ["人员编号", "姓名", "单位", "单位类型", "股室", "考评层次", "岗位", "职级", "是否领导", "分管领导编号", "手机号",
        "编制类型", "录用日期", "状态", "角色", "生效日期"]


def row(staff_no, name, unit="县财政局", tier="一般干事", **kw):
    values = dict(zip(HEAD, [staff_no, name, unit, "机关", "", tier, "综合文秘", "一级科员", "否", "", "", "行政编制",
                             "2015-07-01", "在职", "", ""]))
    values.update({k.replace("_", ""): v for k, v in kw.items()})
    return values


def raw(*rows):
    from handlers.identity.roster_format import HEADERS

    return [(i, {HEADERS[k]: v for k, v in r.items()}) for i, r in enumerate(rows, start=2)]


def base_roster():
    return raw(
        row("A001", "张局长", tier="中层干部", 是否领导="是", 角色="单位管理员"),
        row("A002", "李股长", tier="中层干部", 分管领导编号="A001"),
        row("A003", "王干事", 分管领导编号="A001", 手机号="13812345678"),
        row("B001", "赵镇长", unit="金溪镇", 单位类型="乡镇", tier="机关", 是否领导="是"),
    )


def do_import(session, policy, rows, today=date(2026, 1, 10), **kw):
    kw.setdefault("create_units", True)  # these tests start from an empty system
    return import_roster(session, system_actor(), rows, policy, today=today, **kw)


def test_a_new_roster_creates_units_tiers_people_and_roles(session, policy):
    report = do_import(session, policy, base_roster())
    assert report.created == 4
    assert sorted(session.scalars(select(Unit.name))) == ["县财政局", "金溪镇"]
    assert session.scalar(select(func.count()).select_from(Tier)) == 3
    boss = session.scalar(select(Person).where(Person.staff_no == "A001"))
    roles = set(session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == boss.id)))
    assert roles == {"unit_admin", "supervisor"}  # supervisor because others name A001
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "roster.hire")) == 4


def test_any_wrong_row_imports_nothing_and_reports_every_problem(session, policy):
    rows = raw(
        row("A001", "张局长"),
        row("A 002", "", tier=""),
        row("A003", "王干事", 手机号="12345", 分管领导编号="Z999", 状态="出差"),
        row("A001", "重复"),
    )
    with pytest.raises(InvalidInput) as exc:
        do_import(session, policy, rows)
    errors = exc.value.details["errors"]
    assert "第 3 行「人员编号」：只能由字母、数字、-、_ 组成，最长 32 位" in errors
    assert "第 3 行「姓名」：不能为空" in errors
    assert "第 3 行「考评层次」：不能为空" in errors
    assert "第 4 行「手机号」：应为 11 位手机号码" in errors
    assert "第 4 行「状态」：只能是 在职、请假、退休、调离" in errors
    assert "第 5 行「人员编号」：与第 2 行重复" in errors
    assert exc.value.message == "花名册有 3 行错误，未导入任何数据"
    assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_skip_invalid_imports_the_good_rows(session, policy):
    rows = raw(row("A001", "张局长"), row("A002", "", tier=""))
    report = do_import(session, policy, rows, skip_invalid=True)
    assert report.created == 1 and [e.row for e in report.skipped] == [3, 3]
    assert session.scalar(select(func.count()).select_from(Person)) == 1


def test_supervisor_must_exist_in_file_or_system(session, policy):
    do_import(session, policy, raw(row("A001", "张局长")))
    do_import(session, policy, raw(row("A009", "新人", 分管领导编号="A001")))  # A001 is in the system
    with pytest.raises(InvalidInput) as exc:
        do_import(session, policy, raw(row("A010", "新人", 分管领导编号="Q1")))
    assert "人员编号 Q1 既不在本表中，也不在系统中" in exc.value.details["errors"][0]


def test_reimport_records_transfer_promotion_leave_and_retirement_as_history(session, policy):
    do_import(session, policy, base_roster(), today=date(2026, 1, 10))
    changed = raw(
        row("A001", "张局长", tier="中层干部", 是否领导="是", 角色="单位管理员"),
        row("A002", "李股长", tier="中层干部", 状态="退休"),
        row("A003", "王干事", tier="中层干部", 分管领导编号="A001", 手机号="13812345678"),  # promotion
        row("B001", "赵镇长", unit="县财政局", tier="中层干部", 是否领导="是"),  # transfer
        row("C001", "钱新人"),  # hire
    )
    report = do_import(session, policy, changed, today=date(2026, 4, 15))
    assert report.created == 1 and report.unchanged == 1
    assert dict(report.changed) == {"promotion": 1, "transfer": 1, "retire": 1}
    assert session.scalar(select(func.count()).select_from(Person)) == 5  # nobody duplicated

    wang = session.scalar(select(Person).where(Person.staff_no == "A003"))
    history = session.scalars(select(Membership).where(Membership.person_id == wang.id)
                              .order_by(Membership.start_on)).all()
    assert [(m.start_on, m.end_on, m.change) for m in history] == [
        (date(2026, 1, 10), date(2026, 4, 14), "hire"), (date(2026, 4, 15), None, "promotion")]
    li = session.scalar(select(Person).where(Person.staff_no == "A002"))
    assert li.status == "retired"

    kinds = {c.staff_no: c.kind for c in quarterly_changes(session, 2026, 2)}
    assert kinds == {"A002": "退休", "A003": "层次变动", "B001": "单位调动", "C001": "新录用/调入"}
    transfer = next(c for c in quarterly_changes(session, 2026, 2) if c.staff_no == "B001")
    assert transfer.before.startswith("金溪镇/机关") and transfer.after.startswith("县财政局/中层干部")
    # the old unit's supervisor role went with the transfer
    zhao = session.scalar(select(Person).where(Person.staff_no == "B001"))
    assert {(g.role, g.unit_id) for g in session.scalars(select(RoleGrant).where(RoleGrant.person_id == zhao.id))} \
        == set()
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.transfer"))
    assert audit.actor == "system:cli" and audit.before["unit_id"] != audit.after["unit_id"]


def test_reimporting_the_same_file_changes_nothing(session, policy):
    do_import(session, policy, base_roster())
    report = do_import(session, policy, base_roster(), today=date(2026, 2, 1))
    assert report.unchanged == 4 and not report.changed
    assert session.scalar(select(func.count()).select_from(Membership)) == 4


def test_export_and_read_back_round_trip(session, policy, tmp_path):
    do_import(session, policy, base_roster())
    path = tmp_path / "roster.xlsx"
    write_workbook(path, roster_rows(session))
    again = read_workbook(path)
    assert sorted(r["staff_no"] for _, r in again) == ["A001", "A002", "A003", "B001"]
    report = do_import(session, policy, again, today=date(2026, 2, 1))
    assert report.unchanged == 4


def test_formula_like_names_are_written_as_text(session, policy, tmp_path):
    from openpyxl import load_workbook

    do_import(session, policy, raw(row("A001", "=HYPERLINK(\"x\")")))
    path = tmp_path / "roster.xlsx"
    write_workbook(path, roster_rows(session))
    cell = load_workbook(path).worksheets[0]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_not_an_xlsx_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "roster.xlsx"
    bad.write_text("not a spreadsheet")
    with pytest.raises(InvalidInput, match="无法读取 Excel 文件"):
        read_workbook(bad)
    with pytest.raises(InvalidInput, match="找不到文件"):
        read_workbook(tmp_path / "missing.xlsx")


def test_missing_required_columns_are_named(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["人员编号", "姓名"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    with pytest.raises(InvalidInput, match="表头缺少列：单位、考评层次"):
        read_workbook(path)


def test_a_supervisor_of_another_unit_is_refused(session, policy):
    """The named 分管领导 gets the right to read and score the person: only someone of the same unit."""
    do_import(session, policy, base_roster())
    with pytest.raises(InvalidInput) as exc:  # B001 is 金溪镇's, in the system
        do_import(session, policy, raw(row("A010", "新人", 分管领导编号="B001")))
    assert exc.value.details["errors"] == ["第 2 行「分管领导编号」：人员编号 B001 不是县财政局的在职人员，不能担任分管领导"]
    with pytest.raises(InvalidInput) as exc:  # in the same file, but of another unit
        do_import(session, policy, raw(row("C001", "钱镇长", unit="金溪镇", tier="机关", 是否领导="是"),
                                       row("A011", "新人", 分管领导编号="C001")))
    assert "人员编号 C001 不是县财政局的在职人员" in exc.value.details["errors"][0]
    with pytest.raises(InvalidInput):  # retiring in this very file
        do_import(session, policy, raw(row("A001", "张局长", tier="中层干部", 状态="退休"),
                                       row("A012", "新人", 分管领导编号="A001")))


TRICKY = ("=", "+", "-", "@", "\t", "\r", "'=", "'")


def test_an_unedited_export_reimports_as_no_change(session, policy, tmp_path):
    """Issue 14 item 8: what ``safe_cell`` escapes on export, the import undoes exactly."""
    do_import(session, policy, base_roster())
    unit = session.scalar(select(Unit).where(Unit.name == "县财政局"))
    for lead in TRICKY:
        session.add(Tier(unit_id=unit.id, name=f"{lead}tier"))
    session.flush()
    for i, lead in enumerate(TRICKY):
        p = f.person(session, unit, f"{lead}tier", name=f"{lead}姓名{i}", staff_no=f"X{i:03d}", post=f"{lead}岗位")
        p.memberships[-1].rank = f"{lead}职级"
    session.flush()
    tiers_before = session.scalar(select(func.count()).select_from(Tier))
    path = tmp_path / "roster.xlsx"
    write_workbook(path, roster_rows(session))
    report = do_import(session, policy, read_workbook(path), today=date(2026, 2, 1))
    assert not report.changed and report.created == 0 and report.unchanged == 4 + len(TRICKY), report.lines()
    assert session.scalar(select(func.count()).select_from(Tier)) == tiers_before
    names = set(session.scalars(select(Person.name).where(Person.staff_no.like("X%"))))
    assert names == {f"{lead}姓名{i}" for i, lead in enumerate(TRICKY)}


@pytest.mark.parametrize("text", ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "'=x", "''=x", "'x", "x", "", "'", 5])
def test_unescape_is_the_exact_inverse_of_safe_cell(text):
    from handlers.results.xlsx import safe_cell, unescape_cell

    assert unescape_cell(safe_cell(text)) == text
    assert not str(safe_cell(text)).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_a_typo_in_unit_or_tier_is_a_row_error_with_the_nearest_names(session, policy):
    do_import(session, policy, base_roster())
    rows = raw(row("A020", "新人甲", unit="县财正局"), row("A021", "新人乙", tier="一般干部"),
               row("A022", "新人丙", unit="县财政局", 分管领导编号="Q7"))
    with pytest.raises(InvalidInput) as exc:
        do_import(session, policy, rows, create_units=False)
    errors = exc.value.details["errors"]
    assert errors[0].startswith("第 2 行「单位」：系统中没有单位“县财正局”，是否为：县财政局？")
    assert errors[1].startswith("第 3 行「考评层次」：县财政局没有考评层次“一般干部”，是否为：一般干事")
    assert "--create-units" in errors[0] and "--create-units" in errors[1]
    assert "第 4 行「分管领导编号」：人员编号 Q7 既不在本表中，也不在系统中" in errors  # same pass, same report
    assert session.scalar(select(func.count()).select_from(Unit)) == 2
    assert session.scalar(select(func.count()).select_from(Person)) == 4


def test_every_check_runs_in_one_pass_even_on_a_row_with_other_errors(session, policy):
    do_import(session, policy, base_roster())
    rows = raw(row("A030", "", unit="县财正局", 手机号="123", 分管领导编号="Q8"))
    with pytest.raises(InvalidInput) as exc:
        do_import(session, policy, rows, create_units=False)
    columns = [e.split("「")[1].split("」")[0] for e in exc.value.details["errors"]]
    assert columns == ["姓名", "手机号", "单位", "分管领导编号"]


def test_create_units_creates_and_lists_them(session, policy):
    do_import(session, policy, base_roster())
    report = do_import(session, policy, raw(row("C001", "新人丁", unit="县审计局", tier="一般干事"),
                                           row("A040", "新人戊", tier="综合组")), create_units=True)
    assert report.created_units == ["县审计局"]
    assert report.created_tiers == ["县审计局/一般干事", "县财政局/综合组"]
    lines = report.lines()
    assert "新建单位 1 个：县审计局" in lines and "新建考评层次 2 个：县审计局/一般干事、县财政局/综合组" in lines
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "unit.create")) == 3


def test_the_import_reads_the_database_a_fixed_number_of_times_however_long_the_roster(session, policy):
    """A query per row would flush every pending row first: a roster of thousands took half a minute."""
    from sqlalchemy import event

    def selects_for(prefix: str, n: int) -> int:
        rows = raw(*[row(f"{prefix}{i:04d}", f"人员{i}", 角色="单位管理员" if i % 7 == 0 else "")
                     for i in range(n)])
        statements: list[str] = []
        engine = session.get_bind()

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            do_import(session, policy, rows)
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    assert selects_for("S", 20) == selects_for("T", 60)
