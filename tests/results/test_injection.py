"""Cells a user typed (names, posts, summaries, unit names, reasons) never run as formulas."""
import pytest

from handlers.results.documents import documents
from models import Evaluation, Unit
from tests import factories as f

from .conftest import add_quarter, docx_structure, render_bytes

ATTACKS = ['=HYPERLINK("http://evil.example/","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile(session, policy, county):
    unit = f.unit(session, "=县审计局", tiers=("一般干事",))
    boss = f.person(session, unit, name=ATTACKS[0], staff_no="X001", post=ATTACKS[1], leader=True,
                    roles=("county_admin",))
    other = f.person(session, unit, name=ATTACKS[3], staff_no="X002", post=ATTACKS[2], supervisor=boss)
    third = f.person(session, unit, name="正常人", staff_no="X003", supervisor=boss)
    cycle = add_quarter(session, policy, unit, 2026, 2, {boss: (91, "好", None), other: (72, "一般", None),
                                                         third: (None, None, ATTACKS[4])},
                        summaries={boss: ATTACKS, other: [ATTACKS[2]]})
    add_quarter(session, policy, unit, 2026, 1, {boss: (91, "好", None), other: (95, "好", None)})
    session.query(Evaluation).filter_by(cycle_id=cycle.id).update({"post": ATTACKS[5]})
    session.flush()
    return unit


def _xlsx_cells(data: bytes):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield cell


def test_no_spreadsheet_cell_is_a_formula(session, policy, hostile, cli_actor):
    params = {"person": "X001", "unit": "=县审计局", "year": 2026, "quarter": 2}
    seen_attack = 0
    for doc in documents().values():
        if doc.suffix != "xlsx":
            continue
        _, data = render_bytes(session, cli_actor, policy, doc.name, **{k: params[k] for k in doc.needs},
                               **({"unit": "=县审计局"} if "unit" not in doc.needs and doc.name != "county-results"
                                  else {}))
        for cell in _xlsx_cells(data):
            assert cell.data_type != "f", (doc.name, cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), (doc.name, cell.value)
                seen_attack += any(a in cell.value for a in ATTACKS)
        # the text itself is kept, only made inert
    assert seen_attack >= 5


def test_the_attack_text_is_kept_verbatim_after_the_apostrophe(session, policy, hostile, cli_actor):
    _, data = render_bytes(session, cli_actor, policy, "results", unit="=县审计局", year=2026, quarter=2)
    values = [c.value for c in _xlsx_cells(data) if isinstance(c.value, str)]
    assert "'" + ATTACKS[0] in values and "'" + ATTACKS[3] in values and "'" + ATTACKS[4] in values


def test_word_forms_show_the_text_literally(session, policy, hostile, cli_actor):
    s = docx_structure(render_bytes(session, cli_actor, policy, "registration", person="X001", year=2026,
                                    quarter=2)[1])
    rows = {r[0]: r[1:] for r in s["tables"][0]}
    assert rows["姓名"][0] == ATTACKS[0]
    assert rows["个人小结"][0].split("\n")[:2] == ATTACKS[:2]
    assert session.query(Unit).filter_by(name="=县审计局").one()
