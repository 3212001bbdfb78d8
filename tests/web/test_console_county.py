"""The county office's console (县公务员办): every page through the real sign-in, as the office uses them, and the
refusals (unit HR and anonymous visitors, missing CSRF tokens), with people's text always shown as text."""
from __future__ import annotations

import re

import pytest

from .county_world import county_client, decide, file_results, write_summaries

PAGES = ["/console/county/board", "/console/county/grades", "/console/county/anomalies", "/console/county/duplicates",
         "/console/county/filings", "/console/county/filings/status", "/console/county/spot-checks",
         "/console/county/notices", "/console/county/notices/new", "/console/county/groups",
         "/console/county/annual", "/console/county/annual/lists/promotion", "/console/county/annual/lists/honours",
         "/console/county/talks", "/console/county/accounts", "/console/county/audit", "/console/county/objections"]


def test_every_county_page_renders(web_app, console_accounts, world, session, policy):
    write_summaries(session, world["a"].cycle_id, world["a"].people)
    client, _ = county_client(web_app, console_accounts)
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:2000])
        assert "style=" not in r.get_data(as_text=True), path


def test_unit_hr_and_anonymous_visitors_are_refused(web_app, console_accounts, world, session):
    from models import AuditEntry

    from .conftest import console_sign_in, current_totp

    anonymous = web_app.test_client()
    r = anonymous.get("/console/county/board")
    assert r.status_code == 302 and r.headers["Location"].startswith("/console/login")
    assert anonymous.get("/console/api/county/notices/1/report").status_code == 401
    hr = web_app.test_client()
    user, password, secret = console_accounts["hr"]
    assert console_sign_in(hr, user, password, current_totp(secret)).status_code == 302
    home = hr.get("/console").get_data(as_text=True)
    assert "/console/county/" not in home  # no county sections in unit HR's navigation
    from .county_world import csrf_of

    token = csrf_of(home)
    for path in PAGES + ["/console/county/people/AC1", "/console/county/board/unit?name=县交通局",
                         "/console/county/filings/1", "/console/county/spot-checks/1", "/console/county/notices/1",
                         "/console/api/county/notices/1/report"]:
        r = hr.get(path)
        assert r.status_code == 403, path
    for path in ("/console/county/filings/1/review", "/console/county/notices", "/console/county/groups",
                 "/console/county/spot-checks", "/console/county/accounts", "/console/county/accounts/county/disable"):
        assert hr.post(path, data={"csrf_token": token, "action": "accept"}).status_code == 403, path
    assert session.query(AuditEntry).filter_by(action="access.forbidden", actor="person:AH1").count() >= len(PAGES)


def test_posts_without_the_csrf_token_are_refused(web_app, console_accounts, world):
    client, _ = county_client(web_app, console_accounts)
    r = client.post("/console/county/groups", data={"name": "全县人事群", "wecom_key": "abcdefgh-1234"})
    assert r.status_code == 403 and "CSRF" in r.get_data(as_text=True)
    assert "全县人事群" not in client.get("/console/county/groups").get_data(as_text=True)


def test_board_filters_sorts_and_drills_down_to_a_unit_and_a_person(web_app, console_accounts, world, session):
    write_summaries(session, world["a"].cycle_id, world["a"].people)
    client, _ = county_client(web_app, console_accounts)
    page = client.get("/console/county/board").get_data(as_text=True)
    assert "县财政局" in page and "县交通局" in page and "<svg" in page and "按环节" in page
    only = client.get("/console/county/board?q=交通").get_data(as_text=True)
    assert "县交通局" in only and 'name=县财政局' not in only.replace("%", "")
    up = client.get("/console/county/board?sort=unit").get_data(as_text=True)
    down = client.get("/console/county/board?sort=-unit").get_data(as_text=True)
    assert (up.index("县财政局") < up.index("县交通局")) != (down.index("县财政局") < down.index("县交通局"))
    unit = client.get("/console/county/board/unit?name=县财政局").get_data(as_text=True)
    assert "A干事1" in unit and "中层干部" in unit and "/console/county/people/AC1" in unit
    person = client.get("/console/county/people/AC1").get_data(as_text=True)
    assert "A干事1" in person and "撰写心得一篇" in person
    assert client.get("/console/county/board/unit?name=不存在的局").status_code == 404
    assert client.get("/console/county/people/NOPE").status_code == 404
    assert client.get("/console/county/board?year=abc").status_code == 422


def test_near_duplicates_show_the_shared_passage_marked(web_app, console_accounts, world, session):
    from .county_world import SHARED

    write_summaries(session, world["a"].cycle_id, world["a"].people)
    client, _ = county_client(web_app, console_accounts)
    page = client.get("/console/county/duplicates").get_data(as_text=True)
    assert "A干事1" in page and "A干事2" in page
    assert page.count("<mark>") == 2 and SHARED[:40] in page.split("<mark>")[1]
    assert "</mark>一篇。" in page and "</mark>两篇。" in page


def test_grades_against_quotas_and_year_on_year_are_drawn(web_app, console_accounts, world, session, policy):
    decide(session, policy, world["a"].cycle_id, grade="好", total=95)
    client, _ = county_client(web_app, console_accounts)
    page = client.get("/console/county/grades").get_data(as_text=True)
    assert page.count("<svg") == 2 and "超出" in page and "县财政局" in page
    assert "class=\"num late\"" in page  # every one 好 is over the tier's quota
    assert "考评组全部为好" in client.get("/console/county/anomalies").get_data(as_text=True)


def test_returning_a_results_filing_reaches_the_unit_and_the_refiled_one_is_accepted(web_app, console_accounts,
                                                                                     world, session, policy):
    from handlers.county import filing_lists
    from handlers.actor import actor_for_person
    from models import Cycle

    decide(session, policy, world["a"].cycle_id)
    filing_id = file_results(session, policy, world["a"])
    client, csrf = county_client(web_app, console_accounts)
    listing = client.get("/console/county/filings?state=submitted").get_data(as_text=True)
    assert f"/console/county/filings/{filing_id}" in listing and "县财政局" in listing
    detail = client.get(f"/console/county/filings/{filing_id}").get_data(as_text=True)
    assert "结果备案" in detail and "A干事1" in detail
    cycle = session.get(Cycle, world["a"].cycle_id)
    assert f"<h1>县财政局 {cycle.year}年第{cycle.quarter}季度结果备案</h1>" in detail  # not 备案 #N
    r = client.post(f"/console/county/filings/{filing_id}/review", data={"csrf_token": csrf, "action": "return"})
    assert r.status_code == 422 and "退回原因" in r.get_data(as_text=True)
    reason = "<script>alert(1)</script>第二层次等次超过名额"
    r = client.post(f"/console/county/filings/{filing_id}/review",
                    data={"csrf_token": csrf, "action": "return", "reason": reason})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已退回" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    session.expire_all()
    hr = actor_for_person(session, world["a"].people["hr"].id)
    seen = filing_lists.filing_detail(session, hr, policy, filing_id)
    assert seen["state"] == "returned" and seen["return_reason"] == reason
    assert session.get(Cycle, world["a"].cycle_id).state == "deciding"
    decide(session, policy, world["a"].cycle_id)
    assert file_results(session, policy, world["a"]) == filing_id
    r = client.post(f"/console/county/filings/{filing_id}/review", data={"csrf_token": csrf, "action": "accept"})
    assert r.status_code == 302 and "已通过" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/console/county/filings/{filing_id}/review",
                       data={"csrf_token": csrf, "action": "accept"}).status_code == 409


def test_dual_filings_are_listed_by_unit_and_reviewed(web_app, console_accounts, world, session, policy):
    from handlers.county import filings
    from handlers.actor import actor_for_person
    from models import utcnow

    year = utcnow().year
    hr_b = actor_for_person(session, world["b"].people["hr"].id)
    f = filings.submit_filing(session, hr_b, policy, "annual_plan", "县交通局", year)
    session.commit()
    client, csrf = county_client(web_app, console_accounts)
    status = client.get(f"/console/county/filings/status?year={year}").get_data(as_text=True)
    assert "县交通局" in status and "已报送" in status and "未备案" in status
    assert "年初方案及人员备案" in client.get("/console/county/filings?kind=annual_plan").get_data(as_text=True)
    r = client.post(f"/console/county/filings/{f['id']}/review", data={"csrf_token": csrf, "action": "accept"})
    assert r.status_code == 302 and "已通过" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_spot_check_draw_findings_circular_preview_and_send(web_app, console_accounts, world, session):
    from models import Notice

    client, csrf = county_client(web_app, console_accounts)
    from models import utcnow

    today = utcnow().date()
    quarter = (today.month - 1) // 3 + 1
    r = client.post("/console/county/spot-checks", data={"csrf_token": csrf, "year": today.year, "quarter": quarter,
                                                         "units": 2, "people": 2, "seed": 4242})
    assert r.status_code == 302
    check = r.headers["Location"].split("?")[0]
    page = client.get(check).get_data(as_text=True)
    assert "4242" in page and "县财政局" in page and "县交通局" in page and "未发现明显问题" in page
    r = client.post(f"{check}/findings", data={"csrf_token": csrf, "unit": "县财政局",
                                               "text": "<b>登记表</b>未经本人签字"})
    assert r.status_code == 302
    page = client.get(check).get_data(as_text=True)
    assert "&lt;b&gt;登记表&lt;/b&gt;未经本人签字" in page and "一、发现的问题" in page
    assert client.post(f"{check}/findings", data={"csrf_token": csrf, "unit": "县教育局", "text": "x"}).status_code == 422
    r = client.post(f"{check}/circular", data={"csrf_token": csrf, "audience": "role", "role": "单位管理员"})
    assert r.status_code == 302 and "/console/county/notices/" in r.headers["Location"]
    report = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "抽查情况的通报" in report and "A人事" in report and "B人事" in report
    assert session.query(Notice).filter(Notice.title.like("%抽查情况的通报")).count() == 1
    listing = client.get("/console/county/spot-checks").get_data(as_text=True)
    assert "4242" in listing


def test_notice_to_a_work_group_is_delivered_and_reported(web_app, console_accounts, world, session, store,
                                                          web_settings, fake_wechat, db):
    from bot.channels import build_channels
    from scheduler.drainer import Drainer

    client, csrf = county_client(web_app, console_accounts)
    r = client.post("/console/county/groups", data={"csrf_token": csrf, "name": "<i>全县人事群</i>",
                                                     "wecom_key": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh-5678"})
    assert r.status_code == 302
    groups = client.get("/console/county/groups").get_data(as_text=True)
    assert "abcd…5678" in groups and "abcd-1234-efgh-5678" not in groups and "&lt;i&gt;全县人事群" in groups
    r = client.post("/console/county/notices", data={"csrf_token": csrf, "title": "<script>alert(1)</script>通知",
                                                      "body": "请于<b>周五</b>前完成", "audience": "group",
                                                      "group": "<i>全县人事群</i>"})
    assert r.status_code == 302
    url = r.headers["Location"].split("?")[0]
    notice_id = int(url.rsplit("/", 1)[1])
    page = client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;通知" in page and "<script>alert" not in page
    assert "请于&lt;b&gt;周五&lt;/b&gt;前完成" in page and "待发送" in page
    channels = build_channels(web_settings.with_overrides(wecom_api_base=fake_wechat.url, send_rate=0), store,
                              timeout=2.0)
    Drainer(db, channels, store, workers=2, lease=30).drain(max_seconds=10)
    poll = client.get(f"/console/api/county/notices/{notice_id}/report").get_json()
    assert poll["sent"] == 1 and poll["pending"] == 0 and poll["status"] == "已完成"
    page = client.get(url).get_data(as_text=True)
    row = re.search(r'<table class="grid" id="deliveries">.*?<tbody><tr>(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    # 接收人, 渠道, 状态, 尝试次数, 错误码 (WeChat's 0 for success is no error), 原因, 送达时间
    assert cells[1:5] == ["企业微信群机器人", "已送达", "1", ""]
    assert "全县人事群" in client.get("/console/county/notices").get_data(as_text=True)


def test_scheduled_notice_in_beijing_time_can_be_cancelled(web_app, console_accounts, world, session):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from models import Notice

    client, csrf = county_client(web_app, console_accounts)
    later = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).replace(second=0, microsecond=0)
    r = client.post("/console/county/notices", data={"csrf_token": csrf, "title": "定时通知", "body": "正文",
                                                      "audience": "unit", "unit": "县财政局",
                                                      "send_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    notice = session.query(Notice).filter_by(title="定时通知").one()
    assert notice.send_at == later.astimezone(ZoneInfo("UTC"))
    url = r.headers["Location"].split("?")[0]
    page = client.get(url).get_data(as_text=True)
    # recipients are decided when the notice goes out (who is bound then), so none are listed yet
    assert later.strftime("%Y-%m-%d %H:%M") in page and "待发送" in page and "A干事1" not in page
    r = client.post(f"{url}/cancel", data={"csrf_token": csrf})
    assert r.status_code == 302 and "已撤回" in client.get(url).get_data(as_text=True)
    bad = client.post("/console/county/notices", data={"csrf_token": csrf, "title": "", "body": "x",
                                                        "audience": "all"})
    assert bad.status_code == 422 and "通知标题不能为空" in bad.get_data(as_text=True)
    assert client.post("/console/county/notices", data={"csrf_token": csrf, "title": "t", "body": "b",
                                                         "audience": "unit", "unit": "不存在的局"}).status_code == 404


def test_annual_roll_up_lists_talks_and_an_export_job(web_app, console_accounts, world, session, policy):
    import time

    decide(session, policy, world["a"].cycle_id, grade="一般", total=70)
    client, csrf = county_client(web_app, console_accounts)
    page = client.get("/console/county/annual").get_data(as_text=True)
    assert "A干事1" in page and "B干事1" in page and 'src="/console/county/annual/chart.svg?year=' in page
    chart = client.get("/console/county/annual/chart.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert "按规则可评的最高等次" in chart.get_data(as_text=True) and "年内展望" in chart.get_data(as_text=True)
    assert "A干事1" in client.get("/console/county/annual?unit=县财政局").get_data(as_text=True)
    assert "B干事1" not in client.get("/console/county/annual?unit=县财政局").get_data(as_text=True)
    assert client.get("/console/county/annual/lists/promotion").status_code == 200
    assert client.get("/console/county/annual/lists/bogus").status_code == 422
    talks = client.get("/console/county/talks").get_data(as_text=True)
    assert "A干事1" in talks and "未谈话" in talks and "A局长" in talks
    from models import utcnow

    today = utcnow().date()
    r = client.post("/console/county/talks", data={"csrf_token": csrf, "staff_no": "AC1", "year": today.year,
                                                   "quarter": (today.month - 1) // 3 + 1,
                                                   "held_on": today.isoformat(), "note": "已提醒改进"})
    assert r.status_code == 302
    assert "已提醒改进" in client.get(r.headers["Location"]).get_data(as_text=True)
    job = client.post("/console/county/annual/export", data={"csrf_token": csrf, "what": "annual",
                                                              "year": today.year}).get_data(as_text=True)
    import re

    job_id = re.search(r'data-job="([^"]+)"', job).group(1)
    for _ in range(100):
        state = client.get(f"/console/api/jobs/{job_id}").get_json()
        if state["state"] != "running":
            break
        time.sleep(0.1)
    assert state["state"] == "done" and state["file_name"].endswith(".xlsx")
    download = client.get(f"/console/jobs/{job_id}/download")
    body = download.data
    download.close()
    assert download.status_code == 200 and body[:2] == b"PK"


def test_accounts_create_reset_totp_disable_and_the_audit_log(web_app, console_accounts, world, session):
    from handlers import audit
    from handlers.actor import system_actor

    from .conftest import console_sign_in, current_totp

    client, csrf = county_client(web_app, console_accounts)
    r = client.post("/console/county/accounts", data={"csrf_token": csrf, "username": "jiaotong-hr",
                                                      "staff_no": "BH1", "password": "long enough password",
                                                      "totp": "1"})
    import re

    page = r.get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    listing = client.get("/console/county/accounts").get_data(as_text=True)
    assert "jiaotong-hr" in listing and secret not in listing
    other = web_app.test_client()
    assert console_sign_in(other, "jiaotong-hr", "long enough password", current_totp(secret)).status_code == 302
    page = client.post("/console/county/accounts/jiaotong-hr/totp", data={"csrf_token": csrf}).get_data(as_text=True)
    new_secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert new_secret != secret
    assert other.get("/console").status_code == 302  # the reset ended the account's sessions
    assert console_sign_in(other, "jiaotong-hr", "long enough password", current_totp(new_secret)).status_code == 302
    assert client.post("/console/county/accounts", data={"csrf_token": csrf, "username": "x", "staff_no": "AC1",
                                                         "password": "long enough password"}).status_code == 409
    r = client.post("/console/county/accounts/jiaotong-hr/disable", data={"csrf_token": csrf})
    assert r.status_code == 302 and other.get("/console").status_code == 302
    assert "已停用" in client.get("/console/county/accounts?q=jiaotong").get_data(as_text=True)
    for i in range(60):
        audit.record(session, system_actor(), "test.filler", "person", "BH1", None, {"i": i})
    session.commit()
    log = client.get("/console/county/audit?person=BH1").get_data(as_text=True)
    assert "共 6" in log and "下一页" in log
    log = client.get("/console/county/audit?action=admin_account").get_data(as_text=True)
    assert "重置管理员动态口令" in log and "test.filler" not in log
    disabled = re.search(r'<td class="words" title="admin_account\.disable">([^<]*)</td>'
                         r'<td class="words">([^<]*)</td>\s*<td><div>([^<]*)</div>', log).groups()
    assert disabled == ("停用管理员账号", "管理员账号 jiaotong-hr", "已停用：否 → 是")
    assert '<option value="admin_account" selected>管理员账号：全部</option>' in log
    log = client.get("/console/county/audit?unit=县交通局&action=test").get_data(as_text=True)
    assert "没有符合条件的记录" in log  # the filler was made by the CLI, about a person, not by the unit's people
    assert client.get("/console/county/audit?person=nobody").status_code == 404


def _many_units(session, policy, n: int) -> list[str]:
    """``n`` more units of one clerk each, with this quarter open (so the board and the roll-up run past a page)."""
    from handlers.actor import system_actor
    from handlers.quarter.cycles import open_cycle
    from models import utcnow
    from tests import factories as f

    today = utcnow().date()
    names = []
    for i in range(1, n + 1):
        u = f.unit(session, name=f"县第{i:02d}局", tiers=("一般干事",))
        f.person(session, u, name=f"第{i:02d}局干事", staff_no=f"Z{i:02d}")
        open_cycle(session, system_actor(), u.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
        names.append(u.name)
    session.commit()
    return names


def test_the_board_and_the_roll_up_page_past_the_first_fifty(web_app, console_accounts, world, session, policy):
    import re

    from handlers.county import oversight

    from handlers.results import annual_uses
    from handlers.actor import system_actor
    from models import utcnow

    extra = _many_units(session, policy, 49)
    client, _ = county_client(web_app, console_accounts)
    every = sorted(["县财政局", "县交通局", *extra])  # 51 units
    first = client.get("/console/county/board?sort=unit").get_data(as_text=True)
    second = client.get("/console/county/board?sort=unit&page=2").get_data(as_text=True)

    def units_on(html: str) -> list[str]:
        return re.findall(r'<tr><td><a href="/console/county/board/unit\?name=[^"]*">([^<]+)</a>', html)

    assert units_on(first) == every[:50] and units_on(second) == every[50:]  # page 2: the next unit
    today = utcnow().date()
    board = oversight.progress_board(session, system_actor(), policy, today.year, (today.month - 1) // 3 + 1)
    assert board["totals"]["people"] > 50
    for html in (first, second):  # the totals are the county's, whatever the page
        assert "共 51 条" in html and f"考核 {board['totals']['people']} 人" in html and "51 个单位中" in html
    found = client.get("/console/county/board?q=第0&sort=-unit").get_data(as_text=True)
    assert units_on(found) == [f"县第{i:02d}局" for i in range(9, 0, -1)] and "共 9 条" in found

    year = utcnow().year
    staff = [r.staff_no for r in annual_uses.year_rows(session, system_actor(), policy, year)]
    assert len(staff) > 50
    page1 = client.get(f"/console/county/annual?year={year}").get_data(as_text=True)
    page2 = client.get(f"/console/county/annual?year={year}&page=2").get_data(as_text=True)

    def staff_on(html: str) -> list[str]:
        return re.findall(r'<tr><td>([A-Z0-9]+)</td>', html)

    assert staff_on(page1) == staff[:50] and staff_on(page2) == staff[50:]
    assert f"共 {len(staff)} 条，第 2/2 页" in page2
    chart = client.get(f"/console/county/annual/chart.svg?year={year}").get_data(as_text=True)
    tops = re.findall(r"<title>[^<：]+：(\d+)（", chart)  # the chart counts everyone, whatever page is shown
    assert tops and sum(int(n) for n in tops) == 2 * len(staff)  # each person once per chart, two charts
    unit = client.get(f"/console/county/annual?year={year}&unit=县财政局").get_data(as_text=True)
    mine = sorted(s for s in staff if s.startswith("A"))
    assert staff_on(unit) == mine and f"共 {len(mine)} 条" in unit
    rows = list(annual_uses.year_rows(session, system_actor(), policy, year))
    status = rows[0].outlook.status
    expected = [r.staff_no for r in rows if r.outlook.status == status]
    filtered = client.get(f"/console/county/annual?year={year}&status={status}").get_data(as_text=True)
    assert staff_on(filtered) == expected[:50] and f"共 {len(expected)} 条" in filtered
