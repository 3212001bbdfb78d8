"""Each document against its golden file: structure and cell values, not bytes."""
from datetime import date

import pytest

from handlers.results import annual_uses as A
from handlers.results.documents import documents
from handlers.errors import InvalidInput, NotFound

from .conftest import assert_golden, docx_structure, render_bytes, xlsx_structure

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("name", ["registration", "evaluation"])
def test_person_forms_match_their_golden_files(session, policy, county, cli_actor, name):
    filename, data = render_bytes(session, cli_actor, policy, name, person="F002", year=2026, quarter=2)
    assert filename.endswith("_F002_李明_2026Q2.docx")
    assert_golden(f"{name}_F002_2026Q2", docx_structure(data))


def test_registration_form_carries_the_summary_grade_and_meeting(session, policy, county, cli_actor):
    s = docx_structure(render_bytes(session, cli_actor, policy, "registration", person="F002", year=2026,
                                    quarter=2)[1])
    rows = {r[0]: r[1:] for r in s["tables"][0]}
    assert rows["个人小结"][0].startswith("本季度认真完成预算编制工作")
    assert rows["党委(党组)审定等次"] == ["好"]
    assert rows["审定会议"] == ["2026-06-29　张书记、李局长、王副局长　录入：系统 2026-06-29 18:00"]  # recorded by the system


def test_evaluation_form_scores_add_up_to_the_total(session, policy, county, cli_actor):
    s = docx_structure(render_bytes(session, cli_actor, policy, "evaluation", person="F004", year=2026,
                                    quarter=1)[1])
    indicators = s["tables"][1][1:]
    assert len(indicators) == 10
    assert sum(float(r[4]) for r in indicators) == pytest.approx(70)
    assert sum(float(r[3]) for r in indicators) == 100
    tail = {r[0]: r[1] for r in s["tables"][2]}
    assert tail["合计得分"] == "70" and tail["建议等次"] == "一般" and tail["审定等次"] == "一般"


def test_a_not_graded_person_shows_the_reason(session, policy, county, cli_actor):
    s = docx_structure(render_bytes(session, cli_actor, policy, "evaluation", person="F005", year=2026,
                                    quarter=1)[1])
    tail = {r[0]: r[1] for r in s["tables"][2]}
    assert tail["审定等次"] == f"不定等次（{policy.not_graded.probation_reason}）"


def test_result_list_is_grouped_by_tier_with_meeting_and_quota(session, policy, county, cli_actor):
    filename, data = render_bytes(session, cli_actor, policy, "results", unit="县财政局", year=2026, quarter=1)
    assert filename == "结果一览表_县财政局_2026Q1.xlsx"
    s = xlsx_structure(data)
    assert_golden("results_fin_2026Q1", s)
    rows = s["结果一览表"]
    assert rows[1][:4] == ["党委(党组)会议", "2026-03-29", "参加人员", "张书记、李局长、王副局长"]
    tier_rows = [r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("考评组：")]
    assert [t.split("（")[0] for t in tier_rows] == ["考评组：中层干部", "考评组：一般干事"]
    new_hire = next(r for r in rows if r[1] == "F005")
    assert new_hire[6] == "不定等次" and new_hire[7] == policy.not_graded.probation_reason


def test_county_table_lists_every_unit(session, policy, county, cli_actor):
    s = xlsx_structure(render_bytes(session, cli_actor, policy, "county-results", year=2026, quarter=2)[1])
    assert_golden("county_2026Q2", s)
    body = s["全县结果汇总"][2:]
    assert len(body) == 10 and {r[0] for r in body} == {"县财政局", "县教育局"}


def test_change_list_and_annual_filing(session, policy, county, cli_actor):
    changes = xlsx_structure(render_bytes(session, cli_actor, policy, "changes", unit="县财政局", year=2026,
                                          quarter=1)[1])
    assert_golden("changes_fin_2026Q1", changes)
    filing = xlsx_structure(render_bytes(session, cli_actor, policy, "annual-filing", unit="县财政局",
                                         year=2026)[1])
    assert_golden("annual_filing_fin_2026", filing)
    staff = [r[1] for r in filing["人员名册"][2:]]
    assert "F005" not in staff and "F002" in staff  # the roster on 1 January


def test_annual_lists_match_golden_files(session, policy, county, cli_actor, tmp_path):
    import io

    for name, fn, kwargs in (
        ("annual_fin_2026", A.export_annual, {"unit_name": "县财政局"}),
        ("candidates_training_2026", A.export_candidates, {"kind": "training"}),
        ("honours_2026", A.export_honours, {}),
    ):
        buf = io.BytesIO()
        fn(session, cli_actor, policy, 2026, buf, today=TODAY, **kwargs)
        assert_golden(name, xlsx_structure(buf.getvalue()))
    buf = io.BytesIO()
    A.export_talks(session, cli_actor, policy, 2026, 2, buf)
    assert_golden("talks_2026Q2", xlsx_structure(buf.getvalue()))


def test_every_registered_document_renders(session, policy, county, cli_actor):
    params = {"person": "F002", "unit": "县财政局", "year": 2026, "quarter": 2}
    for doc in documents().values():
        if "objection" in doc.needs:  # one objection's letters: tests/api/test_objection_answer.py renders them
            continue
        filename, data = render_bytes(session, cli_actor, policy, doc.name,
                                      **{k: params[k] for k in doc.needs})
        assert filename.endswith("." + doc.suffix)
        assert data[:2] == b"PK" if doc.suffix != "html" else data.startswith(b"<!DOCTYPE html>")


def test_missing_parameters_and_unknown_documents_are_refused_in_chinese(session, policy, county, cli_actor):
    with pytest.raises(InvalidInput, match="导出《结果一览表》需要：单位、季度"):
        render_bytes(session, cli_actor, policy, "results", year=2026)
    with pytest.raises(NotFound, match="没有名为“x”的文书"):
        render_bytes(session, cli_actor, policy, "x", year=2026)
    with pytest.raises(NotFound, match="找不到人员 F002 在 2025年第1季度的考核"):
        render_bytes(session, cli_actor, policy, "registration", person="F002", year=2025, quarter=1)


def test_unit_hr_sees_its_own_unit_only(session, policy, county):
    render_bytes(session, county.admin, policy, "results", unit="县财政局", year=2026, quarter=1)
    with pytest.raises(NotFound):
        render_bytes(session, county.admin, policy, "results", unit="县教育局", year=2026, quarter=1)
    with pytest.raises(NotFound):
        render_bytes(session, county.admin, policy, "registration", person="E001", year=2026, quarter=1)
    from handlers.errors import Forbidden

    with pytest.raises(Forbidden):
        render_bytes(session, county.admin, policy, "county-results", year=2026, quarter=1)
    render_bytes(session, county.county_admin, policy, "results", unit="县财政局", year=2026, quarter=1)


def test_the_talk_list_names_who_should_hold_and_who_held_each_talk(session, policy, county, cli_actor):
    import io

    A.record_talk(session, cli_actor, policy, "F004", 2026, 2, held_on=date(2026, 7, 3), note="已谈",
                  held_by_staff_no="F001")
    buf = io.BytesIO()
    A.export_talks(session, cli_actor, policy, 2026, 2, buf)
    header, *rows = xlsx_structure(buf.getvalue())["谈话提醒"][1:]
    row = dict(zip(header, next(r for r in rows if r[0] == "F004")))
    assert (row["谈话人"], row["是否已谈话"], row["谈话日期"], row["实际谈话人"], row["谈话记录"]) == \
        ("张局长（F001）", "是", "2026-07-03", "张局长（F001）", "已谈")
