"""A small county's year, from the seed to the annual lists, through the CLI as the county office uses it."""
import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from handlers.results import annual_uses as A
from handlers.county import oversight as O
from handlers.actor import system_actor
from handlers.seed import seed_demo
from models import Cycle, Evaluation, Person
from models.rules.annual import annual_outcome
from models.rules.outlook import talk_reason

from .conftest import docx_structure, xlsx_structure

TODAY = date(2026, 11, 23)


@pytest.fixture
def seeded(db, policy):
    with db.session() as s:
        report = seed_demo(s, policy, units=3, people=36, seed=7, history_years=(2025,), today=TODAY)
    return report


@pytest.fixture
def run(database_url, seeded):
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def _grades(session, year):
    out: dict[str, list] = {}
    for staff_no, quarter, grade, reason in session.execute(
            select(Person.staff_no, Cycle.quarter, Evaluation.final_grade, Evaluation.not_graded_reason)
            .join(Evaluation, Evaluation.person_id == Person.id).join(Cycle, Cycle.id == Evaluation.cycle_id)
            .where(Cycle.year == year, Evaluation.state == "published")):
        out.setdefault(staff_no, [None] * 4)[quarter - 1] = None if reason else grade
    return out


def test_a_year_from_seed_to_annual_lists(session, policy, run, seeded, tmp_path):
    actor = system_actor()
    grades = _grades(session, 2025)
    expected_honours = sorted(s for s, g in grades.items() if annual_outcome(g, policy).excellent_eligible)
    honours = A.honours(session, actor, policy, 2025)
    assert sorted(r["staff_no"] for r in honours) == expected_honours and expected_honours
    assert [r["excellent_priority"] for r in honours] == sorted((r["excellent_priority"] for r in honours),
                                                                reverse=True)

    training = A.candidates(session, actor, policy, 2025, kind="training")
    rule = policy.results.list_rule("training", policy.good_grade)
    counts = [r["count"] for r in training]
    assert counts == sorted(counts, reverse=True) and min(counts) >= rule.min_count
    assert len(training) == sum(1 for g in grades.values() if sum(x in rule.grades for x in g) >= rule.min_count)

    talks = A.talk_reminders(session, actor, policy, 2026, 1)
    q4, q1 = _grades(session, 2025), _grades(session, 2026)
    expected_talks = sorted(s for s, g in q1.items() if talk_reason(q4.get(s, [None] * 4)[3], g[0], policy))
    assert sorted(t["staff_no"] for t in talks) == expected_talks and talks

    # the county office works through the CLI
    who = talks[0]["staff_no"]
    out = run("talk-done", who, "--year", "2026", "--quarter", "1", "--on", "2026-04-20", "--note", "已谈话")
    assert f"已记录：{who} 2026年第1季度谈话" in out
    listed = json.loads(run("annual-list", "talks", "--year", "2026", "--quarter", "1", "--json"))
    assert next(t for t in listed if t["staff_no"] == who)["held_on"] == "2026-04-20"
    honours_cli = json.loads(run("annual-list", "honours", "--year", "2025", "--json"))
    assert sorted(r["staff_no"] for r in honours_cli) == expected_honours

    unit, staff = seeded.samples["unit"], seeded.samples["staff"]
    for args in (["registration", "--person", staff, "--year", "2026", "--quarter", "2"],
                 ["evaluation", "--person", staff, "--year", "2026", "--quarter", "2"],
                 ["results", "--unit", unit, "--year", "2026", "--quarter", "2"],
                 ["county-results", "--year", "2026", "--quarter", "2"],
                 ["changes", "--year", "2026", "--quarter", "1"],
                 ["annual-filing", "--unit", unit, "--year", "2026"],
                 ["annual", "--year", "2025"],
                 ["candidates", "--year", "2025", "--kind", "training"],
                 ["honours", "--year", "2025"],
                 ["talks", "--year", "2026", "--quarter", "1"],
                 ["registration-html", "--person", staff, "--year", "2026", "--quarter", "2"],
                 ["evaluation-html", "--person", staff, "--year", "2026", "--quarter", "2"]):
        target = tmp_path / f"{args[0]}.out"
        assert "已导出" in run("export", *args, "-o", str(target))
        assert target.read_bytes()[:2] == b"PK" or args[0].endswith("-html")
    from .html_parse import html_structure

    for form in ("registration", "evaluation"):  # the printable page says what the Word form says
        assert html_structure((tmp_path / f"{form}-html.out").read_bytes()) == \
            docx_structure((tmp_path / f"{form}.out").read_bytes())
    county = xlsx_structure((tmp_path / "county-results.out").read_bytes())["全县结果汇总"]
    assert len(county) - 2 == session.scalar(
        select(func.count()).select_from(Evaluation).join(Cycle).where(Cycle.year == 2026, Cycle.quarter == 2))
    annual = xlsx_structure((tmp_path / "annual.out").read_bytes())["年度汇总"]
    assert {r[0] for r in annual[2:]} == set(grades)

    board = json.loads(run("oversight", "board", "--year", "2026", "--quarter", "4", "--json"))
    assert len(board["units"]) == 3 and board["totals"]["decided"] == 0
    duplicates = O.near_duplicates(session, actor, policy, 2025, 4)
    assert duplicates["summaries"] > 0
    anomalies = run("oversight", "anomalies", "--year", "2025", "--quarter", "4")
    assert ("个人小结高度雷同" in anomalies) == (duplicates["pairs_found"] > 0)
    drawn = json.loads(run("oversight", "spot-check", "draw", "--year", "2025", "--quarter", "4", "--seed", "3",
                           "--units", "2", "--people", "2"))
    again = O.sample_for(session, 2025, 4, 3, 2, 2)
    assert drawn["sample"] == again
    run("oversight", "spot-check", "finding", "--id", str(drawn["id"]), "--unit", drawn["sample"][0]["unit"],
        "--text", "评鉴表缺少分管领导签字")
    circular = run("oversight", "spot-check", "circular", "--id", str(drawn["id"]))
    assert "评鉴表缺少分管领导签字" in circular and circular.startswith("关于2025年第4季度")
    listed = json.loads(run("oversight", "spot-check", "list"))
    assert [c["id"] for c in listed][-1] == drawn["id"] and listed[-1]["findings"] == 1
    filings = run("oversight", "filings", "--year", "2026")
    assert "未做年初备案的单位 3 个" in filings and filings.count("已通过") == 3 * 3  # Q1–Q3 results filed


def test_export_help_lists_every_document_and_refusals_leave_no_file(run, database_url, tmp_path):
    from handlers.results.documents import documents

    out = run("export", "--help")
    for doc in documents().values():
        assert doc.name in out and doc.title in out
    runner = CliRunner()
    target = tmp_path / "x.xlsx"
    result = runner.invoke(main, ["export", "results", "--year", "2026", "-o", str(target)],
                           env={"KAOHE_DATABASE_URL": database_url})
    assert result.exit_code == 1 and "导出《结果一览表》需要：单位、季度" in result.output
    assert not target.exists() and not (tmp_path / "x.xlsx.part").exists()
