"""The console's unit HR pages: roster (check before import, the 人员异动 it implies, export, a large roster as a
background job), cycles (deadlines in Beijing time, advancing with the workflow's refusals, scorers), indicators
(40 + 60 checked by the handler while editing), bind codes, the committee (many grades at once, over-quota
refusal), publishing and filing (the county's return reason), 双备案 and documents — and for every page, unit A's
HR gets 404 for unit B's objects, CSRF is required and what people wrote is shown as text."""
from __future__ import annotations

import io
import os
import re
import time
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook

from handlers.quarter import publishing
from handlers.actor import system_actor
from models import AuditEntry, BindCode, Cycle, Evaluation, Filing, Membership, Person, RoleGrant, utcnow
from tests import factories as f

from .conftest import console_sign_in, current_totp, move

HEADER = ["人员编号", "姓名", "单位", "单位类型", "股室", "考评层次", "岗位", "职级", "是否领导", "分管领导编号", "手机号",
          "编制类型", "录用日期", "状态", "角色", "生效日期"]


def xlsx(rows: list[list]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r + [""] * (len(HEADER) - len(r)))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def row(staff_no: str, name: str, unit: str = "县财政局", tier: str = "一般干事", phone: str = "13800000001",
        supervisor: str = "AB1", **extra) -> list:
    values = [staff_no, name, unit, "机关", "", tier, "科员", "", "否", supervisor, phone, "行政编制", "2020-01-01",
              "在职", extra.get("roles", ""), extra.get("effective", "")]
    return values


def csrf(client, path: str = "/console") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)


@pytest.fixture
def hr(web_app, console_accounts):
    client = web_app.test_client()
    user, password, secret = console_accounts["hr"]
    assert console_sign_in(client, user, password, current_totp(secret)).status_code == 302
    client.csrf = csrf(client)
    return client


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(path, data={"csrf_token": client.csrf, **(data or {})}, **kwargs)


def upload(client, rows: list[list], unit_id: int | None = None):
    query = f"?unit={unit_id}" if unit_id else ""
    return post(client, f"/console/unit/roster/check{query}", {"file": (xlsx(rows), "roster.xlsx")},
                content_type="multipart/form-data")


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


# -- roster --------------------------------------------------------------------------------------------------------
def test_a_bad_row_is_named_before_anything_is_imported_then_the_fixed_file_imports(hr, world, session):
    r = upload(hr, [row("AN1", "新同志"), row("AN2", "错号码", phone="12345")])
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "第 3 行" in page and "手机号" in page and "应为 11 位手机号码" in page and "未导入任何数据" in page
    assert 'name="token"' not in page  # nothing to import from a file with errors
    assert session.query(Person).filter(Person.staff_no.in_(["AN1", "AN2"])).count() == 0

    r = upload(hr, [row("AN1", "新同志"), row("AN2", "改号码", phone="13900000002")])
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "检查通过，尚未导入任何数据" in page and "新增 2 人" in page
    assert "新录用/调入" in page  # the change list the import would imply
    assert session.query(Person).filter(Person.staff_no.in_(["AN1", "AN2"])).count() == 0  # checking wrote nothing

    r = post(hr, "/console/unit/roster/import", {"token": token_of(page)})
    done = r.get_data(as_text=True)
    assert r.status_code == 200 and "花名册已导入" in done and "人员异动" in done and "改号码" in done
    session.expire_all()
    assert {p.name for p in session.query(Person).filter(Person.staff_no.in_(["AN1", "AN2"]))} == {"新同志", "改号码"}
    hires = session.query(AuditEntry).filter_by(action="roster.hire").all()
    assert {h.actor for h in hires} == {"person:AH1"}  # audited under the officer, not system:cli
    assert post(hr, "/console/unit/roster/import", {"token": token_of(page)}).status_code == 404  # used up


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_chinese_and_not_kept(hr, world):
    from bot.web.console_unit_roster import _DIR

    before = set(os.listdir(_DIR)) if os.path.isdir(_DIR) else set()
    r = post(hr, "/console/unit/roster/check", {"file": (io.BytesIO(b"name,phone\n"), "roster.csv")},
             content_type="multipart/form-data")
    assert r.status_code == 422 and "无法读取 Excel 文件（仅支持 .xlsx）" in r.get_data(as_text=True)
    assert upload(hr, [row("AN9", "错", phone="1")]).status_code == 422
    assert set(os.listdir(_DIR)) <= before  # neither the unreadable file nor the one with errors is kept
    assert post(hr, "/console/unit/roster/check", {}).status_code == 422


def test_a_unit_imports_only_its_own_people(hr, world, session):
    r = upload(hr, [row("AX1", "别的单位", unit="县交通局", supervisor="BB1"), row("BC1", "挖人"), row("AX2", "越权", roles="县公务员办")])
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "只能导入本单位（县财政局）的人员" in page and "现属“县交通局”" in page and "不能授予“县公务员办”角色" in page
    session.expire_all()
    moved = session.query(Membership).filter_by(person_id=world["b"].people["c1"].id, end_on=None).one()
    assert moved.unit_id == world["b"].unit.id


def test_a_unit_import_keeps_the_county_role_and_the_officers_own_role(hr, world, session):
    a = world["a"]
    session.add(RoleGrant(person_id=a.people["c1"].id, role="county_admin"))
    session.commit()
    mine = row("AH1", "A人事", tier="中层干部")
    r = upload(hr, [mine])
    assert r.status_code == 422 and "不能在导入中取消自己的“单位管理员”角色" in r.get_data(as_text=True)
    page = upload(hr, [row("AH1", "A人事", tier="中层干部", roles="单位管理员"), row("AC1", "A干事1")]).get_data(as_text=True)
    assert post(hr, "/console/unit/roster/import", {"token": token_of(page)}).status_code == 200
    session.expire_all()
    roles = {(g.person_id, g.role) for g in session.query(RoleGrant)}
    assert (a.people["c1"].id, "county_admin") in roles and (a.people["hr"].id, "unit_admin") in roles


def finish(client, job_page: str) -> tuple[str, dict]:
    """Poll a background job the way the page does, until it ends; ``(job id, last state)``."""
    job = re.search(r'data-job="([^"]+)"', job_page).group(1)
    for _ in range(400):
        state = client.get(f"/console/api/jobs/{job}").json
        if state["state"] != "running":
            return job, state
        time.sleep(0.05)
    raise AssertionError(f"job {job} still running: {state}")


def test_a_large_roster_is_checked_and_imported_in_the_background_with_progress(hr, world, session, monkeypatch):
    from bot.web import console_unit_roster

    monkeypatch.setattr(console_unit_roster, "INLINE_ROWS", 5)
    rows = [row(f"AL{i}", f"批量{i}", phone=f"139{i:08d}") for i in range(12)]
    bad = upload(hr, rows + [row("AL99", "坏行", phone="1")])
    assert bad.status_code == 200 and "正在检查花名册" in bad.get_data(as_text=True)
    job, state = finish(hr, bad.get_data(as_text=True))
    assert state["state"] == "done" and state["progress"] == 100, state
    report = hr.get(f"/console/unit/roster/checked/{job}")
    assert report.status_code == 422 and "第 14 行" in report.get_data(as_text=True)

    job, _ = finish(hr, upload(hr, rows).get_data(as_text=True))
    page = hr.get(f"/console/unit/roster/checked/{job}").get_data(as_text=True)
    assert "新增 12 人" in page and "后台进行" in page
    assert session.query(Person).filter(Person.staff_no.like("AL%")).count() == 0  # the check wrote nothing
    r = post(hr, "/console/unit/roster/import", {"token": token_of(page)})
    job, state = finish(hr, r.get_data(as_text=True))
    assert state["state"] == "done" and state["progress"] == 100, state
    result = hr.get(f"/console/unit/roster/imported/{job}").get_data(as_text=True)
    assert "新增 12 人" in result and "批量11" in result
    session.expire_all()
    assert session.query(Person).filter(Person.staff_no.like("AL%")).count() == 12
    assert hr.get(f"/console/unit/roster/imported/{job}x").status_code == 404  # a job one does not own


def test_the_roster_exports_as_xlsx_and_the_table_filters_and_sorts_on_the_server(hr, world):
    r = hr.get("/console/unit/roster/export")
    assert r.status_code == 200 and "spreadsheetml" in r.content_type
    sheet = load_workbook(io.BytesIO(r.data)).active
    staff = {c.value for c in sheet["A"][1:]}
    assert {"AB1", "AH1", "AC1"} <= staff and not any(s.startswith("B") for s in staff)
    page = hr.get("/console/unit/roster?q=干事2").get_data(as_text=True)
    assert "A干事2" in page and "A干事1" not in page and "共 1 条" in page
    page = hr.get("/console/unit/roster?sort=staff_no&desc=1").get_data(as_text=True)
    assert page.index("<td>AH1</td>") < page.index("<td>AC3</td>") < page.index("<td>AB1</td>")


# -- cycles --------------------------------------------------------------------------------------------------------
def test_opening_a_quarter_shows_its_deadlines_in_beijing_time(hr, world, session, policy):
    year = world["a"].unit and utcnow().year + 1
    r = post(hr, "/console/unit/cycles/open", {"year": year, "quarter": 1})
    assert r.status_code == 302
    cycle = session.query(Cycle).filter_by(unit_id=world["a"].unit.id, year=year, quarter=1).one()
    page = hr.get(r.headers["Location"]).get_data(as_text=True)
    from models.rules.calendar import format_local

    assert "已开启本季度考核" in page and "北京时间" in page and format_local(cycle.summary_due, policy) in page
    again = post(hr, "/console/unit/cycles/open", {"year": year, "quarter": 1})
    assert again.status_code == 409 and "已经创建" in again.get_data(as_text=True)
    assert f"{year}年第1季度" in hr.get("/console/unit/cycles").get_data(as_text=True)


def test_advancing_shows_the_workflows_refusal_and_moves_on_when_allowed(hr, world, session, policy):
    a = world["a"]
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/advance", {"action": "start_scoring"})
    early = r.get_data(as_text=True)  # before the summary deadline with summaries missing: a reason is required
    assert r.status_code == 409 and "A干事1" in early
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/advance", {"action": "start_scoring",
                                                                "reason": "县里统一要求提前进入评鉴"})
    assert r.status_code == 302
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/advance", {"action": "start_deciding"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "评鉴未提交" in page and "A干事1" in page
    session.expire_all()
    assert session.get(Cycle, a.cycle_id).state == "scoring"


def test_changing_a_persons_scorer(hr, world, session):
    a = world["a"]
    from models import RoleGrant

    session.add(RoleGrant(person_id=a.people["c2"].id, role="supervisor", unit_id=a.unit.id))  # a 分管领导
    session.commit()
    clerk = session.query(Evaluation).filter_by(cycle_id=a.cycle_id, person_id=a.people["c1"].id).one()
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/supervisor", {"evaluation_id": clerk.id, "supervisor": "AH1"})
    assert r.status_code == 422  # unit HR does not name themself as a scorer (policy: acting_admin_may_score)
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/supervisor", {"evaluation_id": clerk.id, "supervisor": "AC2"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Evaluation, clerk.id).supervisor_id == a.people["c2"].id
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/supervisor", {"evaluation_id": clerk.id, "supervisor": "BB1"})
    assert r.status_code == 422 and "不是本单位的在职人员" in r.get_data(as_text=True)
    page = hr.get(f"/console/unit/cycles/{a.cycle_id}?q=A干事1").get_data(as_text=True)
    assert "A干事2（AC2）" in page


# -- indicators ----------------------------------------------------------------------------------------------------
FIVE = [{"dimension": "绩", "name": f"指标{i}", "points": "12"} for i in range(5)]


def test_indicator_points_are_checked_by_the_handler_while_editing(hr, world):
    url = f"/console/api/unit/cycles/{world['a'].cycle_id}/indicators/check"
    headers = {"X-CSRF-Token": hr.csrf}
    ok = hr.post(url, json={"post": "综合文秘", "items": FIVE}, headers=headers)
    assert ok.status_code == 200 and ok.json["ok"] and "40 分 + 个性指标 60 分 = 100 分" in ok.json["message"]
    short = hr.post(url, json={"post": "", "items": FIVE[:4] + [{"dimension": "绩", "name": "少", "points": "11"}]},
                    headers=headers)
    assert short.status_code == 422 and short.json["message"] == "个性指标分值合计应为 60 分，现为 59 分"
    assert hr.post(url, json={"items": FIVE}).status_code == 403  # no CSRF token


def test_a_post_gets_its_own_indicators_and_a_wrong_set_is_refused_with_the_rule(hr, world, session):
    cid = world["a"].cycle_id
    form = {"post": "综合文秘", "dimension": [i["dimension"] for i in FIVE],
            "name": [f"文秘{i}" for i in range(5)], "points": ["12"] * 5}
    assert post(hr, f"/console/unit/cycles/{cid}/indicators", form).status_code == 302
    page = hr.get(f"/console/unit/cycles/{cid}/indicators").get_data(as_text=True)
    assert 'value="文秘4"' in page and "改用单位默认指标" in page
    bad = post(hr, f"/console/unit/cycles/{cid}/indicators", {**form, "points": ["12"] * 4 + ["20"]})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "现为 68 分" in text and 'value="20"' in text  # what was typed stays
    assert post(hr, f"/console/unit/cycles/{cid}/indicators/reset", {"post": "综合文秘"}).status_code == 302


# -- bind codes ----------------------------------------------------------------------------------------------------
def test_bind_codes_for_the_unbound_print_as_a_sheet(hr, world, session):
    newcomer = f.person(session, world["a"].unit, name="未绑定者", staff_no="AU1")
    session.commit()
    page = hr.get("/console/unit/bind-codes").get_data(as_text=True)
    assert "未绑定者" in page and "A干事1" not in page  # the bound are not listed
    r = post(hr, "/console/unit/bind-codes", {"staff_no": ["AU1"]})
    sheet = r.get_data(as_text=True)
    code = re.search(r'<p class="code">([A-Z2-9]{8})</p>', sheet).group(1)
    assert r.status_code == 200 and "未绑定者" in sheet and f"绑定 {code}" in sheet and "北京时间" in sheet
    assert session.query(BindCode).filter_by(person_id=newcomer.id, created_by="person:AH1").count() == 1
    assert post(hr, "/console/unit/bind-codes", {"staff_no": ["BC1"]}).status_code == 404


# -- committee, publishing, filing ---------------------------------------------------------------------------------
def _to_deciding(session, policy, cycle_id: int) -> list[Evaluation]:
    evaluations = session.query(Evaluation).filter_by(cycle_id=cycle_id).order_by(Evaluation.id).all()
    for e, total in zip(evaluations, [95, 91, 88, 70, 60]):
        e.total, e.suggested_grade, e.state, e.scores = total, "较好", "submitted", {}
    session.commit()
    move(session, policy, cycle_id, "start_scoring", "start_deciding")
    return evaluations


def test_the_committee_grades_many_at_once_within_quota_publishes_and_files(hr, world, session, policy):
    a = world["a"]
    evaluations = _to_deciding(session, policy, a.cycle_id)
    page = hr.get(f"/console/unit/cycles/{a.cycle_id}/decide").get_data(as_text=True)
    assert "剩余" in page and "一般干事" in page
    grades = {f"grade_{e.id}": "较好" for e in evaluations}
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/decide", grades)
    assert r.status_code == 409 and "会议" in r.get_data(as_text=True)
    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/meeting", {"meeting_on": "2000-01-03", "attendees": "党组全体成员"})
    assert r.status_code == 302
    clerks = [e for e in evaluations if e.person_id in {a.people[k].id for k in ("c1", "c2", "c3")}]
    over = post(hr, f"/console/unit/cycles/{a.cycle_id}/decide",
                {**grades, f"grade_{clerks[0].id}": "好", f"grade_{clerks[1].id}": "好"})
    text = over.get_data(as_text=True)
    assert over.status_code == 409 and "“一般干事”共 3 人" in text and "最多" in text
    assert re.search(rf'name="grade_{clerks[1].id}"[^>]*>.*?<option selected>好</option>', text, re.S)  # kept
    session.expire_all()
    assert all(session.get(Evaluation, e.id).final_grade is None for e in evaluations)  # all or nothing
    ok = post(hr, f"/console/unit/cycles/{a.cycle_id}/decide", {**grades, f"grade_{clerks[0].id}": "好"})
    assert ok.status_code == 302
    assert post(hr, f"/console/unit/cycles/{a.cycle_id}/publish").status_code == 302
    early = post(hr, f"/console/unit/cycles/{a.cycle_id}/file")
    assert early.status_code == 409 and "公示期满后" in early.get_data(as_text=True)
    session.get(Cycle, a.cycle_id).publicity_ends = utcnow() - timedelta(minutes=1)
    session.commit()
    assert post(hr, f"/console/unit/cycles/{a.cycle_id}/file").status_code == 302
    session.expire_all()
    filing = session.query(Filing).filter_by(kind="results", unit_id=a.unit.id).one()
    assert filing.submitted_by == "person:AH1"
    publishing.review_filing(session, system_actor(), filing.id, False, "“好”等次人员的依据不充分<b>")
    session.commit()
    page = hr.get(f"/console/unit/cycles/{a.cycle_id}/decide").get_data(as_text=True)
    assert "县公务员办退回原因：“好”等次人员的依据不充分&lt;b&gt;" in page and "重新开始公示" in page
    assert "党委(党组)审定" in page


# -- 双备案 ----------------------------------------------------------------------------------------------------------
def test_filing_the_annual_plan_and_the_changes_and_seeing_a_return(hr, world, session):
    year = utcnow().year
    assert post(hr, "/console/unit/filings", {"kind": "annual_plan", "year": year}).status_code == 302
    assert post(hr, "/console/unit/filings", {"kind": "changes", "year": year, "quarter": 1}).status_code == 302
    bad = post(hr, "/console/unit/filings", {"kind": "changes", "year": year, "quarter": 9})
    assert bad.status_code == 422 and "季度只能是 1 到 4" in bad.get_data(as_text=True)
    plan = session.query(Filing).filter_by(kind="annual_plan", unit_id=world["a"].unit.id).one()
    from handlers.county import filings

    filings.review_filing(session, system_actor(), plan.id, "return", "名册缺少新录用人员")
    session.commit()
    page = hr.get("/console/unit/filings").get_data(as_text=True)
    assert "已退回" in page and "名册缺少新录用人员" in page and "人员异动" in page
    assert "年初方案及人员" in hr.get("/console/unit/filings?kind=annual_plan").get_data(as_text=True)
    detail = hr.get(f"/console/unit/filings/{plan.id}").get_data(as_text=True)
    assert "退回原因：名册缺少新录用人员" in detail and "中层干部" in detail
    assert post(hr, "/console/unit/filings", {"kind": "annual_plan", "year": year}).status_code == 302
    session.expire_all()
    assert session.get(Filing, plan.id).state == "submitted"


# -- documents -----------------------------------------------------------------------------------------------------
def test_documents_for_a_person_a_tier_and_the_unit(hr, world, session, policy):
    a = world["a"]
    cycle = session.get(Cycle, a.cycle_id)
    q = f"year={cycle.year}&quarter={cycle.quarter}"
    page = hr.get("/console/unit/documents").get_data(as_text=True)
    assert "A干事1" in page and "结果一览表" in page
    docx = hr.get(f"/console/unit/documents/file?doc=registration&person=AC1&{q}")
    assert docx.status_code == 200 and "wordprocessingml" in docx.content_type
    html = hr.get(f"/console/unit/documents/file?doc=evaluation-html&person=AC1&{q}")
    assert html.status_code == 200 and "考核评鉴表" in html.get_data(as_text=True)
    assert "unsafe-inline" in html.headers["Content-Security-Policy"]
    sheet = hr.get(f"/console/unit/documents/file?doc=results&{q}")
    assert sheet.status_code == 200 and "spreadsheetml" in sheet.content_type
    tier = hr.get(f"/console/unit/documents/print?{q}&tier=一般干事").get_data(as_text=True)
    assert "考评组：一般干事" in tier and "考评组：中层干部" not in tier and "A干事3" in tier
    r = post(hr, "/console/unit/documents/bundle", {"cycle": a.cycle_id, "tier": "一般干事"})
    job, _ = finish(hr, r.get_data(as_text=True))
    import zipfile

    with hr.get(f"/console/jobs/{job}/download") as download:
        bundle = zipfile.ZipFile(io.BytesIO(download.data))
    assert len(bundle.namelist()) == 6 and any("A干事2" in n for n in bundle.namelist())


# -- authorization, CSRF, escaping ---------------------------------------------------------------------------------
def test_unit_a_hr_gets_404_for_unit_b_on_every_page(hr, world, session, policy):
    b = world["b"]
    bid, cid = b.unit.id, b.cycle_id
    b_eval = session.query(Evaluation).filter_by(cycle_id=cid).first()
    cycle = session.get(Cycle, cid)
    q = f"year={cycle.year}&quarter={cycle.quarter}"
    filing = Filing(kind="annual_plan", unit_id=bid, year=cycle.year, quarter=0, state="submitted", payload={},
                    submitted_by="person:BH1")
    session.add(filing)
    session.commit()
    gets = [f"/console/unit/roster?unit={bid}", f"/console/unit/roster/export?unit={bid}",
            f"/console/unit/cycles?unit={bid}", f"/console/unit/cycles/{cid}", f"/console/unit/cycles/{cid}/indicators",
            f"/console/unit/cycles/{cid}/decide", f"/console/unit/bind-codes?unit={bid}",
            f"/console/unit/filings?unit={bid}", f"/console/unit/filings/{filing.id}",
            f"/console/unit/documents?unit={bid}", f"/console/unit/documents?cycle={cid}",
            f"/console/unit/documents/file?doc=registration&person=BC1&{q}",
            f"/console/unit/documents/file?doc=evaluation-html&person=BC1&{q}",
            f"/console/unit/documents/file?doc=results&unit={bid}&{q}",
            f"/console/unit/documents/print?unit={bid}&{q}"]
    for url in gets:
        assert hr.get(url).status_code == 404, url
    posts = [(f"/console/unit/cycles/open?unit={bid}", {"year": 2030, "quarter": 1}),
             (f"/console/unit/cycles/{cid}/advance", {"action": "start_scoring"}),
             (f"/console/unit/cycles/{cid}/supervisor", {"evaluation_id": b_eval.id, "supervisor": "BB1"}),
             (f"/console/unit/cycles/{world['a'].cycle_id}/supervisor", {"evaluation_id": b_eval.id,
                                                                          "supervisor": "AB1"}),
             (f"/console/unit/cycles/{cid}/indicators", {"post": "", "dimension": [], "name": [], "points": []}),
             (f"/console/unit/cycles/{cid}/indicators/reset", {"post": "x"}),
             (f"/console/unit/cycles/{cid}/meeting", {"meeting_on": "2000-01-03", "attendees": "x"}),
             (f"/console/unit/cycles/{cid}/decide", {f"grade_{b_eval.id}": "好"}),
             (f"/console/unit/cycles/{cid}/publish", {}), (f"/console/unit/cycles/{cid}/file", {}),
             (f"/console/unit/bind-codes?unit={bid}", {"staff_no": "BC1"}),
             (f"/console/unit/filings?unit={bid}", {"kind": "annual_plan", "year": cycle.year}),
             (f"/console/unit/documents/bundle?unit={bid}", {"cycle": cid}),
             ("/console/unit/documents/bundle", {"cycle": cid})]
    for url, data in posts:
        assert post(hr, url, data).status_code == 404, url
    upload_b = post(hr, f"/console/unit/roster/check?unit={bid}", {"file": (xlsx([row("BZ1", "x")]), "r.xlsx")},
                    content_type="multipart/form-data")
    assert upload_b.status_code == 404
    check = hr.post(f"/console/api/unit/cycles/{cid}/indicators/check", json={"items": FIVE},
                    headers={"X-CSRF-Token": hr.csrf})
    assert check.status_code == 404 and check.json["code"] == "not_found"
    assert session.query(AuditEntry).filter_by(action="access.denied", actor="person:AH1").count() >= 10


def test_state_changes_need_the_csrf_token(hr, world, session):
    a = world["a"]
    for url in ("/console/unit/cycles/open", f"/console/unit/cycles/{a.cycle_id}/advance",
                "/console/unit/bind-codes", "/console/unit/filings", "/console/unit/roster/check"):
        assert hr.post(url, data={"year": 2030, "quarter": 1, "action": "start_scoring"}).status_code == 403, url
    session.expire_all()
    assert session.get(Cycle, a.cycle_id).state == "open"


def test_what_people_typed_is_shown_as_text(hr, world, session):
    a = world["a"]
    a.people["c3"].name = "<script>alert(1)</script>"
    session.commit()
    for url in ("/console/unit/roster", f"/console/unit/cycles/{a.cycle_id}", "/console/unit/documents"):
        page = hr.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_the_county_office_and_a_signed_out_visitor_do_not_get_unit_pages(web_app, console_accounts, world):
    client = web_app.test_client()
    r = client.get("/console/unit/roster")
    assert r.status_code == 302 and r.headers["Location"].startswith("/console/login")
    console_sign_in(client, "county", "correct horse battery")
    r = client.get("/console/unit/roster")
    assert r.status_code == 404 and "不是任何单位的平时考核管理员" in r.get_data(as_text=True)
    assert "花名册" not in client.get("/console").get_data(as_text=True)
