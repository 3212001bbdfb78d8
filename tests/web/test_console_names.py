"""Who did it and when, as the console's pages show it: 姓名（人员编号） for a person, 系统 for the system, never the
stored ref (``person:…``, ``system:…``); times in Beijing time (YYYY-MM-DD HH:MM), never the stored UTC moment.
The JSON API keeps the refs."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import select, update

from models import AuditEntry, CommitteeDecision, Cycle, MeritEvent, Notice, SpotCheck, utcnow
from models.rules.states import CYCLE

from .county_world import county_client, decide, draw_spot_check
from .test_console_merits import record, signed_in

#: A stored UTC moment, and how a page in Beijing shows it (and how it must not).
STORED = datetime(2026, 10, 12, 8, 5, tzinfo=timezone.utc)
BEIJING, UTC_TEXT = "2026-10-12 16:05", "2026-10-12 08:05"


def record_meeting(session, world, recorded_by: str) -> tuple[Cycle, CommitteeDecision]:
    """Unit A's committee meeting of this quarter, recorded by ``recorded_by`` at the stored moment."""
    cycle = session.get(Cycle, world["a"].cycle_id)
    decision = CommitteeDecision(cycle_id=cycle.id, meeting_on=STORED.date(), attendees="书记、局长", note="按程序审定",
                                 recorded_by=recorded_by, recorded_at=STORED)
    session.add(decision)
    session.commit()
    return cycle, decision


def no_refs(page: str) -> None:
    assert "person:" not in page and "system:" not in page, re.findall(r"(?:person|system):\S{0,20}", page)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page)  # no ISO 8601 moment either


def test_spot_checks_name_who_drew_them_and_when_in_beijing_time(web_app, console_accounts, world, session):
    client, csrf = county_client(web_app, console_accounts)
    check = draw_spot_check(client, csrf, people=2, seed=4242)
    session.execute(update(SpotCheck).values(created_at=STORED))
    session.commit()
    listing = client.get("/console/county/spot-checks").get_data(as_text=True)
    assert "<td>县办干部（K001）</td>" in listing and f"<td>{BEIJING}</td>" in listing and UTC_TEXT not in listing
    no_refs(listing)
    page = client.get(check).get_data(as_text=True)
    assert "抽取人 县办干部（K001）。" in page
    drawn = session.get(SpotCheck, int(check.rsplit("/", 1)[1]))
    assert f"<h1>抽查 · {drawn.year}年第{drawn.quarter}季度</h1>" in page  # its quarter, not 抽查 #N
    log = client.get("/console/county/audit?action=spotcheck").get_data(as_text=True)
    assert f"抽查 {drawn.year}年第{drawn.quarter}季度</td>" in log and "抽查 #" not in log
    no_refs(page)
    from handlers.actor import actor_for_person
    from handlers.county import oversight

    from bot.ext import services

    officer = actor_for_person(session, console_accounts["county_person"].id)
    rows, _ = oversight.list_spot_checks(session, officer, services(web_app).policy)
    assert rows[0]["created_by"] == "person:K001"  # what the JSON API hands out: the stored ref, unchanged


def test_notice_report_names_who_published_it_and_the_system(web_app, console_accounts, world, session):
    from handlers.outbound import notices

    client, csrf = county_client(web_app, console_accounts)
    r = client.post("/console/county/notices", data={"csrf_token": csrf, "title": "工作通知", "body": "正文",
                                                      "audience": "unit", "unit": "县财政局"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"].split("?")[0]).get_data(as_text=True)
    assert "发布人：县办干部（K001）" in page
    no_refs(page)
    reminder = notices.system_notice(session, kind="reminder", dedupe_key="names-test", title="提醒", body="请提交小结",
                                     person_ids=[world["a"].people["c1"].id], now=STORED)
    session.commit()
    page = client.get(f"/console/county/notices/{reminder.id}").get_data(as_text=True)
    assert "发布人：系统" in page and f"发送时间（北京时间）：{BEIJING}" in page and UTC_TEXT not in page
    no_refs(page)
    assert session.get(Notice, reminder.id).created_by == "system:scheduler"  # stored as the ref


def test_county_merit_reviews_name_who_recorded_each_item(web_app, console_accounts, world, session):
    hr, office = signed_in(web_app, console_accounts["hr"]), signed_in(web_app, console_accounts["county"])
    assert record(hr, world["a"].people["c1"].staff_no).status_code == 302
    assert session.scalar(select(MeritEvent.recorded_by)) == "person:AH1"
    page = office.get("/console/county/merits").get_data(as_text=True)
    assert "<td>A人事（AH1）</td>" in page
    no_refs(page)


def test_results_print_names_who_recorded_the_meeting_in_beijing_time(web_app, console_accounts, world, session):
    hr = signed_in(web_app, console_accounts["hr"])
    cycle, decision = record_meeting(session, world, "person:AH1")
    url = f"/console/unit/documents/print?year={cycle.year}&quarter={cycle.quarter}"
    page = hr.get(url).get_data(as_text=True)
    assert f"（录入：A人事（AH1） {BEIJING}）" in page and UTC_TEXT not in page
    no_refs(page)
    assert f"当前环节：{CYCLE.label(cycle.state)}</p>" in page and f"当前环节：{cycle.state}" not in page  # 填写小结…
    decision.recorded_by = "system:seed"
    session.commit()
    page = hr.get(url).get_data(as_text=True)
    assert f"（录入：系统 {BEIJING}）" in page
    no_refs(page)


def test_results_xlsx_names_who_recorded_the_meeting_as_the_print_view_does(web_app, console_accounts, world, session):
    import io

    from openpyxl import load_workbook

    hr = signed_in(web_app, console_accounts["hr"])
    cycle, decision = record_meeting(session, world, "system:seed")
    q = f"year={cycle.year}&quarter={cycle.quarter}"

    def meeting_row() -> list:
        r = hr.get(f"/console/unit/documents/file?doc=results&{q}")
        assert r.status_code == 200
        sheet = load_workbook(io.BytesIO(r.data)).active
        return [c.value for c in sheet[2] if c.value is not None]

    assert meeting_row() == ["党委(党组)会议", "2026-10-12", "参加人员", "书记、局长", "备注", "按程序审定",
                             "录入", f"系统 {BEIJING}"]
    assert f"（录入：系统 {BEIJING}）" in hr.get(f"/console/unit/documents/print?{q}").get_data(as_text=True)
    decision.recorded_by = "person:AH1"
    session.commit()
    assert meeting_row()[-2:] == ["录入", f"A人事（AH1） {BEIJING}"]


def test_audit_log_names_the_actor_and_shows_beijing_time(web_app, console_accounts, world, session):
    from handlers import audit
    from handlers.actor import actor_for_person, system_actor

    client, _ = county_client(web_app, console_accounts)
    audit.record(session, actor_for_person(session, world["a"].people["hr"].id), "test.names", "person", "AC1")
    audit.record(session, system_actor("scheduler"), "test.names", "person", "AC2")
    session.execute(update(AuditEntry).where(AuditEntry.action == "test.names").values(at=STORED))
    session.commit()
    page = client.get("/console/county/audit?action=test.names").get_data(as_text=True)
    cells = re.findall(r'<tr><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>\s*<td class="words" title="test\.names">',
                       page)
    assert sorted(cells) == [(BEIJING, "A人事（AH1）"), (BEIJING, "系统")]
    assert UTC_TEXT not in page
    no_refs(page)


def test_talks_name_who_holds_and_who_held_each_talk(web_app, console_accounts, world, session, policy):
    decide(session, policy, world["a"].cycle_id, grade="一般", total=70)
    client, csrf = county_client(web_app, console_accounts)
    cycle = session.get(Cycle, world["a"].cycle_id)
    url = f"/console/county/talks?year={cycle.year}&quarter={cycle.quarter}"
    page = client.get(url).get_data(as_text=True)
    row = re.search(r"<tr><td[^>]*>A干事1（AC1）</td>.*?</tr>", page, re.S).group(0)
    assert ">A局长（AB1）</td>" in row  # 谈话人: the scorer, with the 人员编号
    held_on = utcnow().date().isoformat()
    r = client.post("/console/county/talks", data={"csrf_token": csrf, "staff_no": "AC1", "year": cycle.year,
                                                   "quarter": cycle.quarter, "held_on": held_on,
                                                   "held_by": "AH1", "note": "已提醒改进"})
    assert r.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert f"已谈话（{held_on}，A人事（AH1））：已提醒改进" in page
    no_refs(page)


def test_one_local_time_filter_for_every_page(web_app):
    from bot import web

    assert web_app.jinja_env.filters["local"] is web.local_time is web_app.jinja_env.globals["local"]
    assert "beijing" not in web_app.jinja_env.filters
    with web_app.app_context():
        render = web_app.jinja_env.from_string("{{ a|local }}|{{ b|local }}|{{ c|local }}|{{ local(a) }}").render
        assert render(a=STORED, b=STORED.isoformat(), c=None) == f"{BEIJING}|{BEIJING}||{BEIJING}"
