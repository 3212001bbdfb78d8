"""The county office's 操作日志 reads in Chinese: what was done (退回备案, 发布通知), to what (备案 县财政局
2026年第4季度结果一览表, 评鉴表 张三（K001） 县财政局 2026年第4季度, 通知 《…》), and what changed (状态：已报送 → 已退回),
times in Beijing time; the stored codes stay in the log and its filter."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from handlers.actor import actor_for_person
from handlers.county import audit_log, audit_names
from handlers.quarter import scoring
from handlers.quarter.scoring import Tap
from models import (AnnualResult, Cycle, Evaluation, Filing, LeaveRecord, MeritEvent, Objection, Person, Secondment,
                    Summary, Tier, utcnow)
from models.cycle import cycle_label

from .conftest import move, submit_all_summaries
from .county_world import county_client, decide, file_results


def rows(page: str) -> list[tuple[str, str, str, list[str]]]:
    """(action code, 操作, 对象, the 变更 lines) of each row of the log's table."""
    out = []
    for code, action, target, cell in re.findall(
            r'<td class="words" title="([^"]*)">([^<]*)</td><td class="words">([^<]*)</td>\s*<td>(.*?)</td></tr>',
            page, re.S):
        out.append((code, action, target, [html.unescape(line) for line in re.findall(r"<div>([^<]*)</div>", cell)]))
    return out


def visible(page: str) -> str:
    """The words a reader sees: the table, without its tags and attributes (the filter's option values are codes)."""
    table = page[page.index('<table class="grid" id="audit">'):page.index("</table>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", table))


def test_a_returned_filing_and_a_cancelled_notice_read_in_chinese(web_app, console_accounts, world, session, policy):
    decide(session, policy, world["a"].cycle_id)
    filing_id = file_results(session, policy, world["a"])
    client, csrf = county_client(web_app, console_accounts)
    assert client.post(f"/console/county/filings/{filing_id}/review",
                       data={"csrf_token": csrf, "action": "return", "reason": "第二层次等次超过名额"}).status_code == 302
    later = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).replace(second=0, microsecond=0)
    r = client.post("/console/county/notices", data={"csrf_token": csrf, "title": "定时通知", "body": "正文",
                                                      "audience": "unit", "unit": "县财政局",
                                                      "send_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert client.post(f"{r.headers['Location'].split('?')[0]}/cancel", data={"csrf_token": csrf}).status_code == 302

    page = client.get("/console/county/audit?action=filing").get_data(as_text=True)
    filing = session.get(Filing, filing_id)
    named = f"备案 县财政局 {cycle_label(filing.year, filing.quarter)}结果一览表"
    returned = [r for r in rows(page) if r[0] == "filing.return"]
    assert returned == [("filing.return", "退回", named, ["状态：已报送 → 已退回", "原因：第二层次等次超过名额"])]
    submitted = [r for r in rows(page) if r[0] == "filing.submit"]
    assert submitted and submitted[0][1:3] == ("报送备案", named)

    page = client.get("/console/county/audit?action=notice").get_data(as_text=True)
    by_code = {r[0]: r for r in rows(page)}
    created = by_code["notice.create"]
    assert created[1:3] == ("发布通知", "通知 《定时通知》")
    assert "接收范围：单位：县财政局" in created[3] and f"发送时间：{later:%Y-%m-%d %H:%M}" in created[3]
    assert by_code["notice.cancel"][1:] == ("撤回通知", created[2], ["状态：待发送 → 已撤回", "停发条数：0"])

    page = client.get("/console/county/audit?action=cycle.create").get_data(as_text=True)
    units = [line for r in rows(page) for line in r[3] if line.startswith("单位：")]
    assert "单位：县财政局" in units and not any(u.removeprefix("单位：").isdigit() for u in units)  # ids, named
    assert any(re.fullmatch(r"季度考核 县财政局 \d{4}年第\d季度", r[2]) for r in rows(page))

    for action in ("", "cycle", "filing", "notice"):
        text = visible(client.get(f"/console/county/audit?action={action}").get_data(as_text=True))
        assert not re.search(r"\b[a-z_]+\.[a-z_]+\b", text), text  # no action codes
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no stored UTC moments
        assert "{" not in text and "person:" not in text and "system:" not in text


def test_the_filter_offers_actions_by_their_words_and_keeps_a_typed_code(web_app, console_accounts, world):
    client, _ = county_client(web_app, console_accounts)
    page = client.get("/console/county/audit").get_data(as_text=True)
    assert '<optgroup label="备案">' in page and '<option value="filing.return">退回</option>' in page
    assert '<option value="filing">备案：全部</option>' in page
    page = client.get("/console/county/audit?action=filing.return").get_data(as_text=True)
    assert '<option value="filing.return" selected>退回</option>' in page
    page = client.get("/console/county/audit?action=test.names").get_data(as_text=True)
    assert '<option value="test.names" selected>test.names</option>' in page  # a code with no words stays chosen


def test_a_score_names_the_person_quarter_and_indicators_it_was_for(web_app, console_accounts, world, session, policy):
    a = world["a"]
    submit_all_summaries(session, a.cycle_id)
    move(session, policy, a.cycle_id, "start_scoring")
    boss = actor_for_person(session, a.people["boss"].id)
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == a.people["c1"].id))
    first = scoring.detail(session, boss, policy, e.id).indicators[0]
    scoring.save_scores(session, boss, policy, e.id, [Tap(first["id"], points=8)], e.version)
    session.commit()
    cycle = session.get(Cycle, a.cycle_id)
    client, _ = county_client(web_app, console_accounts)

    page = client.get("/console/county/audit?action=evaluation.score").get_data(as_text=True)
    (row,) = rows(page)
    assert row[:3] == ("evaluation.score", "评分（分管领导）",
                       f"评鉴表 A干事1（AC1） 县财政局 {cycle_label(cycle.year, cycle.quarter)}")
    assert f"评分：{first['name']} 8 分" in row[3]
    assert "#" not in visible(page)  # no object left as a bare number


def test_the_names_on_a_page_cost_the_same_queries_for_one_entry_or_many(console_accounts, world, session, policy):
    a = world["a"]
    submit_all_summaries(session, a.cycle_id)
    move(session, policy, a.cycle_id, "start_scoring")
    boss = actor_for_person(session, a.people["boss"].id)
    county = actor_for_person(session, session.scalar(select(Person.id).where(Person.staff_no == "K001")))

    def queries(limit: int) -> tuple[int, list[str]]:
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(session.get_bind(), "before_cursor_execute", listen)
        try:
            rows, _ = audit_log.search(session, county, policy, action="evaluation.score", limit=limit)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", listen)
        return len(statements), [r["object_label"] for r in rows]

    for key in ("c1", "c2", "c3"):
        e = session.scalar(select(Evaluation).where(Evaluation.person_id == a.people[key].id))
        first = scoring.detail(session, boss, policy, e.id).indicators[0]
        scoring.save_scores(session, boss, policy, e.id, [Tap(first["id"], points=8)], e.version)
        session.commit()
    one, _ = queries(1)
    many, labels_many = queries(3)
    assert one == many, (one, many)
    assert len(labels_many) == 3 and all(label.startswith("评鉴表 A干事") for label in labels_many)


def test_each_kind_of_row_the_log_refers_to_is_named_as_the_page_shows_it(world, session):
    a, b = world["a"], world["b"]
    cycle = session.get(Cycle, a.cycle_id)
    quarter = cycle_label(cycle.year, cycle.quarter)
    c1, c2 = a.people["c1"], a.people["c2"]
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == c1.id))
    annual = AnnualResult(person_id=c2.id, unit_id=a.unit.id, year=2025, grade="称职", decided_grade="称职",
                          suggested_grade="称职", decided_by="system:test")
    summary = Summary(cycle_id=cycle.id, person_id=c1.id, paragraphs=[], voice_media_ids=[])
    merit = MeritEvent(person_id=c1.id, unit_id=a.unit.id, item_code="J01", item_name="受到市级以上表彰奖励",
                       occurred_on=date(2026, 10, 9), recorded_by="system:test")
    leave = LeaveRecord(person_id=c2.id, year=2026, quarter=3, days=5, updated_by="system:test")
    secondment = Secondment(person_id=c2.id, host_unit_id=b.unit.id,
                            host_tier_id=session.scalar(select(Tier.id).where(Tier.unit_id == b.unit.id).limit(1)),
                            start_on=date(2026, 10, 1), end_on=date(2026, 12, 31), recorded_by="system:test")
    session.add_all([annual, summary, merit, leave, secondment])
    session.flush()
    on_quarter = Objection(kind="quarter", evaluation_id=e.id, cycle_id=cycle.id, person_id=c1.id, publication=1,
                           grade="较好", reason="理由", channel="oa", created_at=utcnow())
    on_year = Objection(kind="annual", annual_result_id=annual.id, person_id=c2.id, publication=1, grade="称职",
                        reason="理由", channel="oa", created_at=utcnow())
    session.add_all([on_quarter, on_year])
    session.commit()

    expected = {
        ("evaluation", e.id): f"A干事1（AC1） 县财政局 {quarter}",
        ("summary", summary.id): f"A干事1（AC1） 县财政局 {quarter}",
        ("objection", on_quarter.id): f"A干事1（AC1） {quarter}",
        ("objection", on_year.id): "A干事2（AC2） 2025年度",
        ("annual_result", annual.id): "A干事2（AC2） 2025年度",
        ("merit_event", merit.id): "A干事1（AC1） 受到市级以上表彰奖励",
        ("leave", leave.id): "A干事2（AC2） 2026年第3季度",
        ("secondment", secondment.id): "A干事2（AC2） 借调到县交通局",
        ("unit", b.unit.id): "县交通局",
        ("cycle", cycle.id): f"县财政局 {quarter}",
    }
    names = audit_names.names_of(session, set(expected) | {("evaluation", 999999), ("admin_account", 1)})
    assert names == expected  # a row since deleted and a kind stored by name: no name, the page keeps the number
