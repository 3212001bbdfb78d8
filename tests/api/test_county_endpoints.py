"""The county office's and unit HR's use cases through HTTP: notices and work groups, oversight boards, spot checks,
双备案, annual uses and document links. Everyone logs in through the real login path (tests/api/conftest.py)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.channels import build_channels
from handlers.outbound import notices
from models import AuditEntry, Cycle, Delivery, Filing, Notice, utcnow
from scheduler.drainer import Drainer
from tests.results.conftest import SUMMARY_A, SUMMARY_B, SUMMARY_C, add_quarter

V1 = "/api/v1"
YEAR = 2025
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def quarters(session, policy, world):
    """Two decided quarters (2025 Q3, Q4) in both units. 县财政局 Q4: 干事2 falls from 较好 to 一般, 干事4 is 一般 twice;
    干事1 and 干事2 wrote nearly the same summary."""
    p = world.people
    boss, deputy, (c1, c2, c3, c4, c5), hr = p["boss"], p["deputy"], p["clerks"], p["hr"]
    q3 = {boss: (91, "好", None), deputy: (85, "较好", None), c1: (92, "好", None), c2: (86, "较好", None),
          c3: (84, "较好", None), c4: (70, "一般", None), c5: (83, "较好", None), hr: (85, "较好", None)}
    q4 = {**q3, c2: (72, "一般", None)}
    add_quarter(session, policy, world.unit, YEAR, 3, q3, summaries={c1: SUMMARY_C, c2: SUMMARY_C})
    add_quarter(session, policy, world.unit, YEAR, 4, q4, summaries={c1: SUMMARY_A, c2: SUMMARY_B, c3: SUMMARY_C})
    for q in (3, 4):
        add_quarter(session, policy, world.other_unit, YEAR, q, {p["o_boss"]: (90, "好", None),
                                                               p["o_clerk"]: (80, "较好", None),
                                                               p["o_hr"]: (82, "较好", None)})
    session.commit()
    return world


def _drain(db, api_settings, store, fake_wechat):
    channels = build_channels(api_settings.with_overrides(wecom_api_base=fake_wechat.url, send_rate=0), store,
                              timeout=2.0)
    drainer = Drainer(db, channels, store, workers=2, lease=30)
    for _ in range(3):  # transient failures wait for their backoff: let it elapse between rounds
        drainer.drain()
        with db.session() as s:
            s.execute(update(Delivery).where(Delivery.state == "pending")
                      .values(next_at=utcnow() - timedelta(seconds=1)))


def _adds_up(r: dict) -> bool:
    return r["total"] == r["sent"] + r["pending"] + r["failed"] + r["refused"] + r["cancelled"] + r["unbound"]


def _denials(session, caller) -> int:
    return len(session.scalars(select(AuditEntry).where(AuditEntry.actor == f"person:{caller.person.staff_no}",
                                                        AuditEntry.action.in_(("access.denied", "access.forbidden"))))
               .all())


# ---- notices ------------------------------------------------------------------------------------------------------
def test_a_notice_created_over_http_is_delivered_and_its_report_adds_up(callers, session, db, api_settings, store,
                                                                        fake_wechat):
    county = callers["county"]
    r = county.post(f"{V1}/notices", json={"title": "关于做好第四季度平时考核的通知", "body": "各单位：请按时完成。",
                                          "to": ["unit:县财政局"], "link": "pages/status/index"})
    assert r.status_code == 201, r.json
    notice = r.json
    assert (notice["total"], notice["pending"], notice["kind"], notice["created_by"]) == (
        8, 8, "通知", f"person:{county.person.staff_no}")
    sent_at = datetime.fromisoformat(notice["send_at"])
    assert notice["send_at_local"] == sent_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "notice")) == "notice.create"

    listed = county.get(f"{V1}/notices?per_page=5").json
    assert listed["total"] == 1 and listed["items"][0]["id"] == notice["id"]

    _drain(db, api_settings, store, fake_wechat)
    report = county.get(f"{V1}/notices/{notice['id']}/report").json
    assert report["total"] == 8 and report["pending"] == 0 and report["progress"] == 100 and _adds_up(report)
    assert report["sent"] + report["failed"] + report["refused"] == 8
    assert sum(f["count"] for f in report["failures"]) == report["failed"] + report["refused"]
    assert report["status"] == "已完成"

    seen = []
    for page in (1, 2, 3):
        rows = county.get(f"{V1}/notices/{notice['id']}/deliveries?page={page}&per_page=3").json
        assert rows["total"] == 8
        seen += [row["recipient"] for row in rows["items"]]
    assert len(seen) == len(set(seen)) == 8 and any("干事1" in s for s in seen)

    r = county.post(f"{V1}/notices/{notice['id']}/cancel")
    assert r.status_code == 409 and r.json["code"] == "nothing_pending"


def test_a_scheduled_notice_waits_in_beijing_time_and_can_be_cancelled(callers, world):
    county = callers["county"]
    later = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(second=0, microsecond=0)
    r = county.post(f"{V1}/notices", json={"title": "定时通知", "body": "明天发送", "to": ["unit:县税务局", "unit:县财政局"],
                                          "send_at": later.isoformat()})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "待发送" and r.json["send_at_local"] == later.strftime("%Y-%m-%d %H:%M")
    assert datetime.fromisoformat(r.json["send_at"]) == later
    r = county.post(f"{V1}/notices/{r.json['id']}/cancel")
    assert r.status_code == 200 and r.json["stopped"] == 0  # its recipients were never decided: nothing to stop
    report = county.get(f"{V1}/notices/{r.json['notice_id']}/report").json
    assert (report["total"], report["resolved"], report["status"]) == (0, False, "已撤回") and _adds_up(report)


def test_work_groups_and_a_scheduler_draft(callers, session, world):
    county = callers["county"]
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd1234-5678-efgh"
    r = county.post(f"{V1}/groups", json={"name": "人事干部群", "wecom_key": hook})
    assert r.status_code == 201 and r.json["wecom_key"] == "abcd…efgh", r.json
    assert county.post(f"{V1}/groups", json={"name": "人事干部群", "oa_tag_id": 3}).status_code == 409
    assert county.post(f"{V1}/groups", json={"name": "空群"}).status_code == 422
    groups = county.get(f"{V1}/groups").json
    assert groups["total"] == 1 and groups["items"][0]["name"] == "人事干部群"

    draft = notices.system_notice(session, kind="circular", dedupe_key="test-draft", title="第四季度进度通报",
                                  body="各单位进度如下……", state="draft", audience_specs=["group:人事干部群"])
    session.commit()
    shown = county.get(f"{V1}/notices/{draft.id}").json
    assert (shown["state"], shown["status"], shown["total"]) == ("draft", "草稿", 0)
    r = county.post(f"{V1}/notices/{draft.id}/send", json={"to": ["group:人事干部群", "unit:县税务局"]})
    assert r.status_code == 200, r.json
    assert (r.json["state"], r.json["kind"], r.json["total"]) == ("scheduled", "通报", 4)
    again = county.post(f"{V1}/notices/{draft.id}/send", json={})
    assert again.status_code == 409 and again.json["code"] == "not_draft"


@pytest.mark.parametrize("body,field,words", [
    ({"title": "t", "body": "b", "to": ["all"], "send_at": "2030-01-01T09:00:00"}, "send_at", "时区"),
    ({"title": "t", "body": "b", "to": ["all"], "send_at": "明天上午"}, "send_at", "ISO"),
    ({"title": "t", "body": "b", "to": ["all"], "urgent": True}, "urgent", "不允许的字段"),
    ({"title": "t", "body": "b", "to": []}, "to", "条目过少"),
    ({"title": "t" * 101, "body": "b", "to": ["all"]}, "title", "文本过长"),
    ({"title": "t", "body": "b", "to": "all"}, "to", "应为数组"),
])
def test_bad_notice_bodies_are_refused_in_chinese(callers, body, field, words):
    r = callers["county"].post(f"{V1}/notices", json=body)
    assert r.status_code == 422 and r.json["code"] == "invalid_body", r.json
    assert field in r.json["message"] and words in r.json["message"]


def test_rules_of_the_handler_answer_in_chinese(callers, world):
    county = callers["county"]
    past = (datetime.now(SHANGHAI) - timedelta(hours=1)).isoformat()
    r = county.post(f"{V1}/notices", json={"title": "t", "body": "b", "to": ["all"], "send_at": past})
    assert r.status_code == 422 and r.json["message"] == "发送时间不能早于现在"
    r = county.post(f"{V1}/notices", json={"title": "t", "body": "b", "to": ["部门:财政"]})
    assert r.status_code == 422 and "接收范围" in r.json["message"]
    r = county.post(f"{V1}/notices", json={"title": "t", "body": "b", "to": ["unit:不存在的局"]})
    assert r.status_code == 404 and r.json["message"] == "找不到单位“不存在的局”"
    r = county.post(f"{V1}/notices", json={"title": "t", "body": "b", "to": ["all"], "link": "javascript:alert(1)"})
    assert r.status_code == 422 and "链接" in r.json["message"]
    assert county.get(f"{V1}/notices/999999/report").status_code == 404


@pytest.mark.parametrize("role", ["hr", "clerk", "boss"])
def test_only_the_county_office_handles_notices(callers, session, role):
    caller = callers[role]
    before = _denials(session, caller)
    draft = notices.system_notice(session, kind="circular", dedupe_key=f"d-{role}", title="草稿", body="正文",
                                  state="draft", audience_specs=["all"])
    session.commit()
    for method, path, body in (("post", "/notices", {"title": "t", "body": "b", "to": ["all"]}),
                               ("get", "/notices", None), ("get", f"/notices/{draft.id}/report", None),
                               ("post", f"/notices/{draft.id}/send", {}), ("post", f"/notices/{draft.id}/cancel", None),
                               ("get", "/groups", None), ("post", "/groups", {"name": "群", "oa_tag_id": 1})):
        r = caller.get(V1 + path) if method == "get" else caller.post(V1 + path, json=body)
        assert r.status_code == 404 and r.json["code"] == "not_found", (path, r.json)
    assert _denials(session, caller) == before + 7, "every refusal is audited"
    session.expire_all()
    assert session.get(Notice, draft.id).state == "draft"


# ---- oversight ----------------------------------------------------------------------------------------------------
def test_the_county_boards_are_data_for_charts(callers, quarters):
    county = callers["county"]
    board = county.get(f"{V1}/county/progress?year={YEAR}&quarter=4").json
    assert [u["unit"] for u in board["units"]] == ["县财政局", "县税务局"]
    assert board["totals"]["people"] == 11 and board["totals"]["decided"] == 11
    chart = {c["label"]: c["value"] for c in board["chart"]}
    assert chart["考核人数"] == 11 and chart["已公示"] == 11

    grades = county.get(f"{V1}/county/grades?year={YEAR}&quarter=4").json
    bars = {c["label"]: c["value"] for c in grades["chart"]}
    assert sum(bars.values()) == 11 and bars["一般"] == 2 and bars["好"] == 3
    fin = next(t for t in grades["tiers"] if t["unit"] == "县财政局" and t["tier"] == "一般干事")
    assert fin["graded"] == 6 and fin["good"] == 1 and fin["within_quota"] is True

    dups = county.get(f"{V1}/county/duplicates?year={YEAR}&quarter=4").json
    pair = next(p for p in dups["pairs"] if p["kind"] == "colleague")
    assert {pair["a"]["name"], pair["b"]["name"]} == {"干事1", "干事2"} and pair["similarity"] >= 0.8
    assert dups["pairs_found"] == len(dups["pairs"])

    anomalies = county.get(f"{V1}/county/anomalies?year={YEAR}&quarter=4").json
    kinds = {a["kind"] for a in anomalies["items"]}
    assert "near_duplicate" in kinds
    assert sum(c["value"] for c in anomalies["chart"]) == len(anomalies["items"])
    no_dups = county.get(f"{V1}/county/anomalies?year={YEAR}&quarter=4&duplicates=false").json
    assert "near_duplicate" not in {a["kind"] for a in no_dups["items"]}

    status = county.get(f"{V1}/county/filing-status?year={YEAR}").json
    assert [u["unit"] for u in status["units"]] == ["县财政局", "县税务局", "县委组织部"]
    assert status["missing_annual_plan"] == 3 and status["units"][0]["annual_plan"] == "未备案"
    assert {c["label"]: c["value"] for c in status["chart"]}["年初方案已备案"] == 0


def test_the_board_pages_sorts_and_filters_like_the_console(callers, quarters):
    county = callers["county"]
    base = f"{V1}/county/progress?year={YEAR}&quarter=4"
    whole = county.get(base).json
    assert whole["matched"] == whole["unit_count"] == 2 and len(whole["units"]) == 2  # no page: every unit
    first = county.get(base + "&page=1&per_page=1&sort=-unit").json
    second = county.get(base + "&page=2&per_page=1&sort=-unit").json
    names = sorted((u["unit"] for u in whole["units"]), reverse=True)
    assert [u["unit"] for u in first["units"] + second["units"]] == names  # page 2: the next unit
    assert first["totals"] == second["totals"] == whole["totals"] and first["matched"] == 2
    people = {u["unit"]: u["totals"]["people"] for u in whole["units"]}
    most = county.get(base + "&page=1&per_page=1&sort=-people").json["units"][0]
    assert most["totals"]["people"] == max(people.values()) and most["tiers"] and most["deadlines"]
    found = county.get(base + "&page=1&q=税务").json
    assert [u["unit"] for u in found["units"]] == ["县税务局"] and found["matched"] == 1
    late = county.get(base + "&page=1&late=true").json
    assert late["matched"] == len(whole["late_units"])


def test_unit_hr_sees_its_own_unit_only(callers, session, quarters):
    hr = callers["hr"]
    own = hr.get(f"{V1}/county/progress?year={YEAR}&quarter=4&unit=县财政局")
    assert own.status_code == 200 and [u["unit"] for u in own.json["units"]] == ["县财政局"]
    before = _denials(session, hr)
    whole = hr.get(f"{V1}/county/progress?year={YEAR}&quarter=4")
    assert whole.status_code == 403 and whole.json["message"] == "只有县公务员办可以查看全县情况"
    other = hr.get(f"{V1}/county/grades?year={YEAR}&quarter=4&unit=县税务局")
    assert other.status_code == 404 and other.json["message"] == "找不到单位“县税务局”"
    assert _denials(session, hr) == before + 2
    assert hr.get(f"{V1}/county/anomalies?year={YEAR}&quarter=4").status_code == 403
    status = hr.get(f"{V1}/county/filing-status?year={YEAR}&unit=县财政局").json
    assert [u["unit"] for u in status["units"]] == ["县财政局"]


@pytest.mark.parametrize("path,words", [
    ("/county/progress?year=1999&quarter=4", "数值过小"),
    ("/county/progress?year=2025&quarter=5", "数值过大"),
    ("/county/progress?year=2025", "缺少必填字段"),
    ("/county/grades?year=二〇二五&quarter=1", "应为整数"),
    ("/county/duplicates?year=2025&quarter=4&limit=0", "数值过小"),
])
def test_bad_queries_are_refused_in_chinese(callers, path, words):
    r = callers["county"].get(V1 + path)
    assert r.status_code == 422 and words in r.json["message"], r.json


def test_a_spot_check_from_draw_to_circular(callers, session, quarters):
    county = callers["county"]
    r = county.post(f"{V1}/county/spot-checks", json={"year": YEAR, "quarter": 4, "seed": 7, "units": 2,
                                                      "people_per_unit": 2})
    assert r.status_code == 201, r.json
    check = r.json
    assert check["seed"] == 7 and [u["unit"] for u in check["sample"]] == ["县财政局", "县税务局"]
    drawn = check["sample"][0]["people"][0]
    again = county.post(f"{V1}/county/spot-checks", json={"year": YEAR, "quarter": 4, "seed": 7, "units": 2,
                                                          "people_per_unit": 2}).json
    assert again["sample"] == check["sample"] and again["id"] != check["id"]  # the seed reproduces the draw

    base = f"{V1}/county/spot-checks/{check['id']}"
    r = county.post(f"{base}/findings", json={"unit": "县财政局", "staff_no": drawn["staff_no"],
                                             "text": "评鉴表缺少分管领导签字"})
    assert r.status_code == 201 and r.json["staff_no"] == drawn["staff_no"]
    r = county.post(f"{base}/findings", json={"unit": "县委组织部", "text": "x"})
    assert r.status_code == 422 and r.json["message"] == "“县委组织部”不在本次抽查的单位中"
    view = county.get(base).json
    assert [f["text"] for f in view["findings"]] == ["评鉴表缺少分管领导签字"]

    draft = county.get(f"{base}/circular").json
    assert draft["title"] == f"关于{YEAR}年第4季度公务员平时考核抽查情况的通报"
    assert "评鉴表缺少分管领导签字" in draft["text"] and draft["units"] == ["县财政局"]
    sent = county.post(f"{base}/circular", json={})
    assert sent.status_code == 201, sent.json
    assert sent.json["title"] == draft["title"] and sent.json["audience"] == ["role:单位管理员"]
    assert sent.json["total"] == 2  # the two units' HR

    hr = callers["hr"]
    assert hr.post(f"{V1}/county/spot-checks", json={"year": YEAR, "quarter": 4}).status_code == 403
    assert hr.get(base).status_code == 403
    assert callers["clerk"].post(f"{base}/circular", json={}).status_code == 403
    assert county.get(f"{V1}/county/spot-checks/999999").status_code == 404

    listed = county.get(f"{V1}/county/spot-checks?per_page=1").json
    assert listed["total"] == 2 and [c["id"] for c in listed["items"]] == [again["id"]]  # newest first, paged
    first = county.get(f"{V1}/county/spot-checks?page=2&per_page=1").json["items"][0]
    assert first == {"id": check["id"], "year": YEAR, "quarter": 4, "seed": 7, "units": ["县财政局", "县税务局"],
                     "people": 4, "findings": 1, "created_by": first["created_by"], "created_at": first["created_at"]}
    assert county.get(f"{V1}/county/spot-checks?year={YEAR - 1}").json["total"] == 0
    assert hr.get(f"{V1}/county/spot-checks").status_code == 403


# ---- 双备案 ---------------------------------------------------------------------------------------------------------
def test_unit_hr_files_and_the_county_reviews(callers, session, quarters):
    hr, county = callers["hr"], callers["county"]
    r = hr.post(f"{V1}/dual-filings", json={"kind": "annual_plan", "unit": "县财政局", "year": YEAR})
    assert r.status_code == 201, r.json
    filing = r.json
    assert (filing["state"], filing["label"], filing["payload"]["people"]) == ("submitted", "年初方案及人员", 8)
    tiers = {t["tier"]: t["people"] for t in filing["payload"]["tiers"]}
    assert tiers == {"中层干部": 2, "一般干事": 6}

    assert hr.post(f"{V1}/dual-filings", json={"kind": "annual_plan", "unit": "县税务局", "year": YEAR}
                   ).status_code == 404
    r = hr.post(f"{V1}/dual-filings", json={"kind": "changes", "unit": "县财政局", "year": YEAR})
    assert r.status_code == 422 and r.json["message"] == "季度只能是 1 到 4"
    r = hr.post(f"{V1}/dual-filings", json={"kind": "results", "unit": "县财政局", "year": YEAR})
    assert r.status_code == 422 and "取值不在允许范围内" in r.json["message"]
    assert hr.post(f"{V1}/dual-filings/{filing['id']}/review", json={"action": "accept"}).status_code == 403

    url = f"{V1}/dual-filings/{filing['id']}/review"
    r = county.post(url, json={"action": "return"})
    assert r.status_code == 422 and r.json["message"] == "退回备案需要说明原因"
    r = county.post(url, json={"action": "return", "reason": "名册缺少新录用人员"})
    assert (r.json["state"], r.json["return_reason"]) == ("returned", "名册缺少新录用人员")
    assert hr.get(f"{V1}/dual-filings/{filing['id']}").json["state_label"] == "已退回"
    r = hr.post(f"{V1}/dual-filings", json={"kind": "annual_plan", "unit": "县财政局", "year": YEAR})
    assert r.status_code == 201 and r.json["id"] == filing["id"] and r.json["state"] == "submitted"
    assert county.post(url, json={"action": "accept"}).json["state"] == "accepted"
    assert county.post(url, json={"action": "accept"}).status_code == 409
    assert callers["o_hr"].get(f"{V1}/dual-filings/{filing['id']}").status_code == 404

    changes = hr.post(f"{V1}/dual-filings", json={"kind": "changes", "unit": "县财政局", "year": YEAR, "quarter": 4})
    assert changes.status_code == 201 and changes.json["payload"]["count"] == 0
    status = county.get(f"{V1}/county/filing-status?year={YEAR}").json
    fin = status["units"][0]
    assert fin["annual_plan"] == "已通过" and fin["quarters"][3]["changes"] == "已报送"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "filing",
                                                              AuditEntry.action.like("filing.%"))
                              .order_by(AuditEntry.id)).all()
    assert actions[:5] == ["filing.submit", "filing.return", "filing.submit", "filing.accept", "filing.submit"]


def test_returning_a_results_filing_here_reopens_the_decision(callers, session, quarters):
    cycle = session.scalar(select(Cycle).where(Cycle.unit_id == quarters.unit.id, Cycle.year == YEAR,
                                               Cycle.quarter == 4))
    filing = Filing(kind="results", unit_id=quarters.unit.id, year=YEAR, quarter=4, state="submitted",
                    payload={"rows": []}, submitted_by="system:test")
    session.add(filing)
    session.commit()
    r = callers["county"].post(f"{V1}/dual-filings/{filing.id}/review", json={"action": "return", "reason": "重报"})
    assert r.status_code == 200 and r.json["label"] == "结果备案" and r.json["state"] == "returned"
    session.expire_all()
    assert session.get(Cycle, cycle.id).state == "deciding"


# ---- annual uses --------------------------------------------------------------------------------------------------
def test_annual_uses_for_the_county_and_unit_hr(callers, session, quarters):
    county, hr, clerk = callers["county"], callers["hr"], callers["clerk"]
    everyone = county.get(f"{V1}/annual/rows?year={YEAR}&per_page=4").json
    assert everyone["total"] == 11 and len(everyone["items"]) == 4
    own = hr.get(f"{V1}/annual/rows?year={YEAR}&unit=县财政局&page=2&per_page=5").json
    assert own["total"] == 8 and len(own["items"]) == 3 and own["page"] == 2
    c1 = next(r for r in hr.get(f"{V1}/annual/rows?year={YEAR}&unit=县财政局&per_page=20").json["items"]
              if r["name"] == "干事1")
    assert c1["quarters"] == [None, None, "好", "好"] and c1["good_count"] == 2 and c1["outlook"]["status"]
    status = c1["outlook"]["status"]
    alike = [r for r in county.get(f"{V1}/annual/rows?year={YEAR}&per_page=100").json["items"]
             if r["outlook"]["status"] == status]
    only = county.get(f"{V1}/annual/rows?year={YEAR}&status={status}&per_page=100").json
    assert only["items"] == alike and only["total"] == len(alike)  # the outlook filter, counted in the database

    summary = county.get(f"{V1}/annual/summary?year={YEAR}").json
    assert summary["people"] == 11
    assert sum(c["value"] for c in summary["chart"]["outlook"]) == 11
    assert sum(c["value"] for c in summary["chart"]["max_grade"]) == 11

    cands = county.get(f"{V1}/annual/candidates?year={YEAR}&kind=promotion&min_good=2").json
    assert [c["name"] for c in cands["items"]] == ["张局长", "干事1", "税务局长"]
    assert [c["rank"] for c in cands["items"]] == [1, 2, 3] and cands["items"][0]["list"] == "选拔任用参考名单"
    training = county.get(f"{V1}/annual/candidates?year={YEAR}&kind=training&quarter=4").json
    assert [c["name"] for c in training["items"]] == ["干事4", "干事2"]  # 一般/较差 in the year, most first
    assert [c["count"] for c in training["items"]] == sorted((c["count"] for c in training["items"]), reverse=True)
    assert county.get(f"{V1}/annual/candidates?year={YEAR}&quarter=5").status_code == 422
    tiered = hr.get(f"{V1}/annual/candidates?year={YEAR}&unit=县财政局&min_good=1&tier=一般干事").json
    assert [c["name"] for c in tiered["items"]] == ["干事1"]
    assert county.get(f"{V1}/annual/candidates?year={YEAR}&kind=all").status_code == 422
    honours = county.get(f"{V1}/annual/honours?year={YEAR}").json
    assert honours["total"] == len(honours["items"]) and all(h["excellent_eligible"] for h in honours["items"])

    talks = hr.get(f"{V1}/annual/talks?year={YEAR}&quarter=4&unit=县财政局").json
    reasons = {t["name"]: t["reason"] for t in talks["items"]}
    assert reasons == {"干事2": "本季度平时考核等次为一般", "干事4": "本季度平时考核等次为一般"}
    c2 = quarters.people["clerks"][1]
    held = (datetime.now(SHANGHAI).date() - timedelta(days=1)).isoformat()
    r = hr.post(f"{V1}/annual/talks", json={"staff_no": c2.staff_no, "year": YEAR, "quarter": 4, "held_on": held,
                                            "note": "已谈话，明确改进方向"})
    assert r.status_code == 201 and r.json["reason"] == "本季度平时考核等次为一般", r.json
    assert hr.post(f"{V1}/annual/talks", json={"staff_no": c2.staff_no, "year": YEAR, "quarter": 4,
                                               "held_on": held}).status_code == 409
    r = hr.post(f"{V1}/annual/talks", json={"staff_no": c2.staff_no, "year": YEAR, "quarter": 4,
                                            "held_on": "2025-13-01"})
    assert r.status_code == 422 and "日期格式" in r.json["message"]
    done = {t["name"]: t["held"] for t in hr.get(f"{V1}/annual/talks?year={YEAR}&quarter=4&unit=县财政局").json["items"]}
    assert done == {"干事2": True, "干事4": False}
    boss_view = callers["boss"].get(f"{V1}/annual/talks?year={YEAR}&quarter=4").json  # the talks they hold
    assert {t["name"] for t in boss_view["items"]} == {"干事2", "干事4"}

    assert clerk.get(f"{V1}/annual/rows?year={YEAR}").status_code == 403
    assert clerk.get(f"{V1}/annual/rows?year={YEAR}&unit=县财政局").status_code == 404
    assert hr.get(f"{V1}/annual/honours?year={YEAR}&unit=县税务局").status_code == 404
    other = quarters.people["o_clerk"]
    r = hr.post(f"{V1}/annual/talks", json={"staff_no": other.staff_no, "year": YEAR, "quarter": 4, "held_on": held})
    assert r.status_code == 404


# ---- documents ----------------------------------------------------------------------------------------------------
def test_download_links_fetched_over_http_open(callers, api, quarters):
    from docx import Document as Docx
    from openpyxl import load_workbook

    hr, county = callers["hr"], callers["county"]
    listed = {d["name"]: d for d in hr.get(f"{V1}/documents").json["items"]}
    assert listed["results"]["needs"] == ["unit", "year", "quarter"] and listed["registration"]["suffix"] == "docx"

    link = hr.post(f"{V1}/documents/results/link", json={"unit": "县财政局", "year": YEAR, "quarter": 4})
    assert link.status_code == 201 and link.json["document"] == "结果一览表", link.json
    assert link.json["url"] == f"/api/v1/downloads/{link.json['token']}"
    r = api.get(link.json["url"])  # the link itself is the credential
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert sheet.cell(1, 1).value == f"县财政局{YEAR}年第4季度公务员平时考核结果一览表"
    assert "干事1" in {c.value for row in sheet.iter_rows() for c in row}

    c1 = quarters.people["clerks"][0]
    form = county.post(f"{V1}/documents/registration/link", json={"person": c1.staff_no, "year": YEAR, "quarter": 4})
    assert form.status_code == 201, form.json
    r = api.get(form.json["url"])
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    doc = Docx(io.BytesIO(r.data))
    assert doc.tables[0].rows[0].cells[1].text == "干事1"

    annual = county.post(f"{V1}/documents/annual/link", json={"year": YEAR})
    book = load_workbook(io.BytesIO(api.get(annual.json["url"]).data))
    assert book.sheetnames == ["年度汇总"] and book["年度汇总"].max_row == 2 + 11

    r = hr.post(f"{V1}/documents/results/link", json={"unit": "县税务局", "year": YEAR, "quarter": 4})
    assert r.status_code == 404
    r = hr.post(f"{V1}/documents/county-results/link", json={"year": YEAR, "quarter": 4})
    assert r.status_code == 403
    r = hr.post(f"{V1}/documents/results/link", json={"unit": "县财政局", "year": YEAR})
    assert r.status_code == 422 and r.json["message"] == "导出《结果一览表》需要：季度"
    r = county.post(f"{V1}/documents/payroll/link", json={"year": YEAR})
    assert r.status_code == 404 and "没有名为“payroll”的文书" in r.json["message"]
    r = county.post(f"{V1}/documents/results/link", json={"unit": "县财政局", "year": "2025", "quarter": 4})
    assert r.status_code == 422 and r.json["code"] == "invalid_body"


# ---- the matrix and the document ----------------------------------------------------------------------------------
Q = f"year={YEAR}&quarter=4"
# (method, path, body, expected status for clerk, unit HR, county office); the county office files nothing itself
# (unit HR files 双备案), so its 双备案 submit is the handler's 404
MATRIX = [
    ("get", "/notices", None, (404, 404, 200)),
    ("get", "/groups", None, (404, 404, 200)),
    ("get", f"/county/progress?{Q}", None, (403, 403, 200)),
    ("get", f"/county/progress?{Q}&unit=县财政局", None, (404, 200, 200)),
    ("get", f"/county/grades?{Q}", None, (403, 403, 200)),
    ("get", f"/county/grades?{Q}&unit=县税务局", None, (404, 404, 200)),
    ("get", f"/county/anomalies?{Q}", None, (403, 403, 200)),
    ("get", f"/county/duplicates?{Q}&unit=县财政局", None, (404, 200, 200)),
    ("get", f"/county/filing-status?year={YEAR}", None, (403, 403, 200)),
    ("post", "/county/spot-checks", {"year": YEAR, "quarter": 4}, (403, 403, 201)),
    ("get", "/county/spot-checks", None, (403, 403, 200)),
    ("post", "/dual-filings", {"kind": "annual_plan", "unit": "县财政局", "year": YEAR}, (404, 201, 404)),
    ("get", f"/annual/rows?year={YEAR}", None, (403, 403, 200)),
    ("get", f"/annual/summary?year={YEAR}&unit=县财政局", None, (404, 200, 200)),
    ("get", f"/annual/candidates?year={YEAR}&unit=县财政局", None, (404, 200, 200)),
    ("get", f"/annual/honours?year={YEAR}", None, (403, 403, 200)),
    ("get", f"/annual/talks?{Q}&unit=县税务局", None, (404, 404, 200)),
    ("get", "/documents", None, (200, 200, 200)),
    ("post", "/documents/county-results/link", {"year": YEAR, "quarter": 4}, (403, 403, 201)),
]
CASES = [(row, role) for row in MATRIX for role in ("clerk", "hr", "county")]


@pytest.mark.parametrize("row,role", CASES, ids=[f"{r}-{k[0]}-{k[1]}" for k, r in CASES])
def test_matrix(row, role, callers, session, quarters):
    method, path, body, statuses = row
    caller = callers[role]
    before = _denials(session, caller)
    r = caller.get(V1 + path) if method == "get" else caller.post(V1 + path, json=body)
    expected = statuses[("clerk", "hr", "county").index(role)]
    assert r.status_code == expected, (r.status_code, r.json)
    if expected in (403, 404):
        assert set(r.json) >= {"code", "message"} and r.json["message"]
        if role != "county":  # the county office's own misses are not refusals
            assert _denials(session, caller) == before + 1, "every refusal is audited"


def test_the_new_endpoints_are_in_the_openapi_document(api):
    doc = api.get(f"{V1}/openapi.json").json
    for path, method in (("/notices", "post"), ("/notices/{notice_id}/report", "get"),
                         ("/notices/{notice_id}/deliveries", "get"), ("/notices/{notice_id}/send", "post"),
                         ("/groups", "post"), ("/county/progress", "get"), ("/county/spot-checks", "post"),
                         ("/county/spot-checks/{spot_check_id}/circular", "post"), ("/dual-filings", "post"),
                         ("/annual/talks", "post"), ("/documents/{name}/link", "post")):
        op = doc["paths"][V1 + path][method]
        ok = op["responses"][next(c for c in op["responses"] if c.startswith("2"))]
        assert ok["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
        assert "422" in op["responses"] and op["security"] == [{"bearer": []}]
    board = doc["components"]["schemas"]["BoardOut"]
    assert {"units", "totals", "chart", "late_units"} <= set(board["properties"])
    notice_in = doc["components"]["schemas"]["NoticeIn"]
    assert notice_in["additionalProperties"] is False and "send_at" in notice_in["properties"]
    query = {p["name"] for p in doc["paths"][V1 + "/county/progress"]["get"]["parameters"]}
    assert query == {"year", "quarter", "unit", "page", "per_page", "sort", "q", "late"}
