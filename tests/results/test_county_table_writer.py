"""The county's combined table written by the streaming sheet writer (xlsx_stream) holds exactly the cells openpyxl's write-only
writer wrote before."""
import io
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from handlers.results.documents import sheets as S
from handlers.seed import seed_demo
from models import Cycle, Evaluation

TODAY = date(2026, 11, 23)


def _openpyxl_table(session, policy, year, quarter) -> bytes:
    """The writer as it was (main 656d205): openpyxl write-only, one ``append`` per row."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("全县结果汇总")
    ws.append([f"{policy.county}{year}年第{quarter}季度公务员平时考核结果汇总表"])
    ws.append(S.COUNTY_HEADERS)
    for row in S.county_rows(session, year, quarter):
        ws.append(S._row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cells(data: bytes) -> tuple[list[str], list[list]]:
    """Sheet names and every row's values; read-only openpyxl pads rows to the declared width (XlsxWriter declares
    A1:J…, openpyxl's write-only writer does not), so trailing empty cells are dropped."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = []
    for row in wb.active.iter_rows(values_only=True):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    return wb.sheetnames, rows


def _compare(session, policy, cli_actor, year, quarter) -> int:
    before = _cells(_openpyxl_table(session, policy, year, quarter))
    out = io.BytesIO()
    assert S.county_result_table(session, cli_actor, policy, year, quarter, out) == \
        f"全县结果汇总表_{year}Q{quarter}.xlsx"
    after = _cells(out.getvalue())
    assert after[0] == before[0] == ["全县结果汇总"]
    assert len(after[1]) == len(before[1])
    for a, b in zip(after[1], before[1]):
        assert a == b
        assert [isinstance(x, str) for x in a] == [isinstance(x, str) for x in b]  # numbers stay numbers
    return len(after[1])


def test_seeded_county_table_has_the_same_cells(db, policy, cli_actor):
    with db.session() as s:
        seed_demo(s, policy, units=5, people=150, seed=3, today=TODAY)
    with db.session() as s:
        for quarter in (2, 4):  # a filed quarter, and the open one (no grades yet)
            people = s.scalar(select(func.count()).select_from(Evaluation).join(Cycle)
                              .where(Cycle.year == 2026, Cycle.quarter == quarter))
            assert people > 100 and _compare(s, policy, cli_actor, 2026, quarter) == 2 + people


def test_risky_text_stays_text_and_is_escaped_the_same_way(session, policy, county, cli_actor):
    e = session.query(Evaluation).order_by(Evaluation.id).first()
    e.post = "=HYPERLINK(\"http://x\",\"点我\")"
    e.not_graded_reason = "http://example.com/a"
    session.flush()
    cycle = e.cycle
    assert _compare(session, policy, cli_actor, cycle.year, cycle.quarter) > 2
    out = io.BytesIO()
    S.county_result_table(session, cli_actor, policy, cycle.year, cycle.quarter, out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    cells = [c for row in ws.iter_rows() for c in row if c.value == "'=HYPERLINK(\"http://x\",\"点我\")"]
    assert cells and cells[0].data_type == "s" and not ws._hyperlinks


def test_the_streaming_sheet_keeps_awkward_text_and_numbers_exactly():
    from decimal import Decimal

    from handlers.results.documents.xlsx_stream import write_sheet

    rows = [["标题"], [" 前后有空格 ", "a<b & c>d \"引号\" '单引号'", "'=1+1", None, "", 0, -3, 87.5, Decimal("92.50")],
            ["控制\x01字符\x0b", "换行\n第二行", True, "𠀀𠀁", "x" * 5000]]
    out = io.BytesIO()
    assert write_sheet(out, "表<1>&", rows) == 3
    wb = load_workbook(io.BytesIO(out.getvalue()))
    ws = wb.active
    assert wb.sheetnames == ["表<1>&"]
    got = [[c.value for c in row] for row in ws.iter_rows()]
    assert got[0][0] == "标题"
    assert got[1] == [" 前后有空格 ", "a<b & c>d \"引号\" '单引号'", "'=1+1", None, None, 0, -3, 87.5, 92.5]
    assert got[2][:5] == ["控制字符", "换行\n第二行", True, "𠀀𠀁", "x" * 5000]
    assert [c.data_type for c in ws[2]][5:] == ["n"] * 4
