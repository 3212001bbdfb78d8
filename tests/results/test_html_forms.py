"""The print-ready HTML forms: the same content as the docx, escaped, A4 print rules, same scope."""
import pytest

from handlers.results.documents import documents
from handlers.errors import NotFound
from tests import factories as f

from .conftest import add_quarter, assert_golden, docx_structure, render_bytes
from .html_parse import html_structure, parse_form

PAIRS = [("registration", "registration-html"), ("evaluation", "evaluation-html")]


@pytest.mark.parametrize("docx_name, html_name", PAIRS)
@pytest.mark.parametrize("person, quarter", [("F002", 2), ("F004", 1), ("F005", 1), ("E001", 2)])
def test_html_shows_exactly_what_the_docx_shows(session, policy, county, cli_actor, docx_name, html_name,
                                                person, quarter):
    _, docx = render_bytes(session, cli_actor, policy, docx_name, person=person, year=2026, quarter=quarter)
    filename, html = render_bytes(session, cli_actor, policy, html_name, person=person, year=2026, quarter=quarter)
    assert filename.endswith(f"_{person}_{county.people[person].name}_2026Q{quarter}.html")
    assert html_structure(html) == docx_structure(docx)


@pytest.mark.parametrize("name", ["registration-html", "evaluation-html"])
def test_html_forms_match_their_golden_files(session, policy, county, cli_actor, name):
    _, data = render_bytes(session, cli_actor, policy, name, person="F002", year=2026, quarter=2)
    assert_golden(f"{name}_F002_2026Q2", html_structure(data))


def test_registration_html_carries_heading_summary_signatures_and_grade(session, policy, county, cli_actor):
    from .conftest import SUMMARY_A

    _, data = render_bytes(session, cli_actor, policy, "registration-html", person="F002", year=2026, quarter=2)
    s = html_structure(data)
    assert s["paragraphs"] == ["公务员平时考核登记表", "（2026年第2季度）"]
    rows = {r[0]: r[1:] for r in s["tables"][0]}
    assert rows["姓名"] == ["李明", "人员编号", "F002"]
    assert rows["岗位（职务）"] == ["预算管理", "分管领导", "张局长"]
    summary = rows["个人小结"][0].split("\n")
    assert summary[:-1] == SUMMARY_A and summary[-1].startswith("本人签字：") and summary[-1].endswith("年　　月　　日")
    leader = rows["分管领导评鉴意见"][0].split("\n")
    assert leader == ["评鉴得分：93　建议等次：好", "评鉴人：张局长　2026-06-28 17:00 提交",
                      "分管领导签字：　　　　　　　　　　年　　月　　日"]
    assert rows["党委(党组)审定等次"] == ["好"]
    assert rows["审定会议"] == ["2026-06-29　张书记、李局长、王副局长　录入：系统 2026-06-29 18:00"]  # recorded by the system
    assert rows["本人签署意见"][0].startswith("本人签字：")  # published before sign-offs existed: paper only
    assert b"<p>" + SUMMARY_A[1].encode() + b"</p>" in data  # one <p> per summary paragraph


def test_evaluation_html_scores_per_indicator_and_totals(session, policy, county, cli_actor):
    _, data = render_bytes(session, cli_actor, policy, "evaluation-html", person="F004", year=2026, quarter=1)
    s = html_structure(data)
    assert s["paragraphs"] == ["公务员平时考核评鉴表", "（2026年第1季度）"]
    head, *indicators = s["tables"][1]
    assert head == ["类别", "维度", "评鉴指标", "分值", "得分"]
    assert len(indicators) == 10 and all(len(r) == 5 for r in indicators)
    assert sum(float(r[3]) for r in indicators) == 100
    assert sum(float(r[4]) for r in indicators) == pytest.approx(70)
    assert {r[0] for r in indicators} <= {"共性指标", "个性指标"}
    tail = {r[0]: r[1] for r in s["tables"][2]}
    assert tail["合计得分"] == "70" and tail["建议等次"] == "一般" and tail["审定等次"] == "一般"
    assert tail["评鉴人"].startswith("张局长　") and "签字：" in tail["评鉴人"]
    new_hire = html_structure(render_bytes(session, cli_actor, policy, "evaluation-html", person="F005",
                                           year=2026, quarter=1)[1])
    assert {r[0]: r[1] for r in new_hire["tables"][2]}["审定等次"] == \
        f"不定等次（{policy.not_graded.probation_reason}）"


@pytest.mark.parametrize("name", ["registration-html", "evaluation-html"])
def test_html_is_a_self_contained_a4_page(session, policy, county, cli_actor, name):
    _, data = render_bytes(session, cli_actor, policy, name, person="F002", year=2026, quarter=2)
    text = data.decode("utf-8")
    parsed = parse_form(data)
    assert text.startswith("<!DOCTYPE html>") and parsed.lang == "zh-CN" and '<meta charset="utf-8">' in text
    assert "@page { size: A4 portrait; margin: 20mm 22mm; }" in text
    assert "break-inside: avoid" in text and "border: 0.75pt solid #000" in text and '"SimSun"' in text
    # nothing fetched, nothing run
    assert not {"script", "link", "img", "iframe", "object"} & set(parsed.tags)
    assert "http://" not in text and "https://" not in text and "@import" not in text and "url(" not in text


ATTACK = '<script>alert("x")</script>'


@pytest.fixture
def hostile_person(session, policy, county):
    unit = county.units["fin"]
    lead = county.people["F001"]
    bad = f.person(session, unit, "一般干事", name='<b onmouseover="x()">坏</b>', staff_no="F099", supervisor=lead,
                   post="</td></tr></table><h1>假表</h1>")
    add_quarter(session, policy, unit, 2026, 3, {bad: (80, "较好", None)},
                summaries={bad: [ATTACK, "a & b < c > d \"e\" 'f'"]})
    return bad


@pytest.mark.parametrize("name", ["registration-html", "evaluation-html"])
def test_user_text_is_escaped_never_markup(session, policy, county, cli_actor, hostile_person, name):
    _, data = render_bytes(session, cli_actor, policy, name, person="F099", year=2026, quarter=3)
    text = data.decode("utf-8")
    parsed = parse_form(data)
    assert "script" not in parsed.tags and "b" not in parsed.tags
    assert parsed.tags.count("h1") == 1 and parsed.tags.count("table") == (1 if name == "registration-html" else 3)
    assert "<script>" not in text and "onmouseover=\"" not in text and "&lt;b onmouseover=" in text
    cells = [c for t in parsed.tables for r in t for c in r]
    assert '<b onmouseover="x()">坏</b>' in cells and "</td></tr></table><h1>假表</h1>" in cells
    if name == "registration-html":
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
        summary = next(r[1] for r in parsed.tables[0] if r[0] == "个人小结").split("\n")
        assert summary[:2] == [ATTACK, "a & b < c > d \"e\" 'f'"]


@pytest.mark.parametrize("name", ["registration-html", "evaluation-html"])
def test_scope_is_the_same_as_for_the_docx(session, policy, county, name):
    from handlers.actor import actor_for_person

    render_bytes(session, county.admin, policy, name, person="F002", year=2026, quarter=1)
    render_bytes(session, county.county_admin, policy, name, person="F002", year=2026, quarter=1)
    for actor, person in ((county.admin, "E001"), (actor_for_person(session, county.people["F003"].id), "F002")):
        for doc in (name, name.removesuffix("-html")):
            with pytest.raises(NotFound, match=f"找不到人员 {person} 在 2026年第1季度的考核"):
                render_bytes(session, actor, policy, doc, person=person, year=2026, quarter=1)
    own = actor_for_person(session, county.people["F003"].id)
    assert render_bytes(session, own, policy, name, person="F003", year=2026, quarter=1)[1]
    supervisor = actor_for_person(session, county.people["F001"].id)
    assert render_bytes(session, supervisor, policy, name, person="F003", year=2026, quarter=1)[1]


def test_registry_lists_the_html_forms(session, policy, county):
    docs = documents()
    for docx_name, html_name in PAIRS:
        d, h = docs[docx_name], docs[html_name]
        assert (h.title, h.needs, h.suffix, h.media_type) == (d.title, d.needs, "html", "text/html; charset=utf-8")


def test_html_download_opens_inline_with_a_strict_policy(app, client, policy, session, county, settings):
    from handlers.results.documents import Params
    from handlers.results.documents.tokens import issue_download

    link = issue_download(session, county.admin, policy, settings.secret_key, "evaluation-html",
                          Params(person="F003", year=2026, quarter=1))
    session.commit()
    r = client.get(link["url"])
    assert r.status_code == 200, r.get_json()
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith('inline; filename="evaluation-html.html"')
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff" and int(r.headers["Content-Length"]) == len(r.data)
    assert html_structure(r.data)["tables"][0][0] == ["姓名", "王芳", "人员编号", "F003"]
    other = issue_download  # the same scope check before a link is issued
    with pytest.raises(NotFound):
        other(session, county.admin, policy, settings.secret_key, "registration-html",
              Params(person="E001", year=2026, quarter=1))
