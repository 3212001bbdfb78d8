"""The console's 请假与借调 page: a leave spreadsheet is checked first (row, column, problem in Chinese; nothing
imported until every row is right), then imported; one person at a time; secondments; another unit's HR gets 404."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from handlers.identity import leave
from handlers.actor import system_actor
from models import AuditEntry, Evaluation, utcnow
from models.leave import LeaveRecord, Secondment

from .conftest import console_sign_in, current_totp, sign_in
from .test_console_unit import csrf, post, token_of

HEADER = ["人员编号", "姓名", "年度", "季度", "请假天数", "备注"]


def this_quarter() -> tuple[int, int]:
    today = utcnow().date()
    return today.year, (today.month - 1) // 3 + 1


def leave_xlsx(rows: list[list], header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.fixture
def hr(web_app, console_accounts):
    client = web_app.test_client()
    user, password, secret = console_accounts["hr"]
    assert console_sign_in(client, user, password, current_totp(secret)).status_code == 302
    client.csrf = csrf(client)
    return client


def upload(client, rows, header=HEADER):
    return post(client, "/console/unit/leave/check", {"file": (leave_xlsx(rows, header), "leave.xlsx")},
                content_type="multipart/form-data")


def test_a_leave_file_with_errors_imports_nothing_then_the_fixed_file_marks_long_leave(hr, world, session):
    year, quarter = this_quarter()
    r = upload(hr, [["AC1", "A干事1", year, quarter, 50, "病假"], ["AC2", "错名字", year, quarter, 3],
                    ["BC1", "B干事1", year, quarter, 2], ["AC3", "A干事3", year, 5, "两天"]])
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "未导入任何数据" in page and 'name="token"' not in page
    assert "第 3 行" in page and "与人员编号 AC2 的姓名“A干事2”不符" in page
    assert "第 4 行" in page and "不在县财政局" in page
    assert "第 5 行" in page and "季度" in page and "应为 1 到 4" in page
    assert session.scalar(select(LeaveRecord.id)) is None

    r = upload(hr, [["AC1", "A干事1", year, quarter, 50, "病假"], ["AC2", "", year, quarter, 3]])
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "检查通过，尚未导入任何数据" in page
    assert session.scalar(select(LeaveRecord.id)) is None  # checking wrote nothing
    done = post(hr, "/console/unit/leave/import", {"token": token_of(page)}).get_data(as_text=True)
    assert "请假表已导入" in done and "保存 2 条" in done and "因请假确定为不定等次 1 人：A干事1（AC1）" in done
    session.expire_all()
    e = session.scalar(select(Evaluation).where(Evaluation.cycle_id == world["a"].cycle_id,
                                                Evaluation.person_id == world["a"].people["c1"].id))
    assert e.not_graded_reason == "本季度请假累计超过45天，不确定等次"
    assert session.query(AuditEntry).filter_by(action="leave.record").count() == 2
    # the token was used up: a second press finds nothing
    assert post(hr, "/console/unit/leave/import", {"token": token_of(page)}).status_code == 404


def test_a_file_without_the_leave_columns_or_not_a_spreadsheet_is_refused_in_chinese(hr, world):
    r = upload(hr, [["AC1", "A干事1", 2026]], header=["人员编号", "姓名", "年度"])
    assert r.status_code == 422 and "表头缺少列：季度、请假天数" in r.get_data(as_text=True)
    r = post(hr, "/console/unit/leave/check", {"file": (io.BytesIO(b"a,b\n"), "leave.csv")},
             content_type="multipart/form-data")
    assert r.status_code == 422 and "仅支持 .xlsx" in r.get_data(as_text=True)
    assert post(hr, "/console/unit/leave/check", {}).status_code == 422


def test_one_person_entered_on_the_page_and_listed(hr, world, session):
    year, quarter = this_quarter()
    r = post(hr, "/console/unit/leave", {"staff_no": "AC2", "days": "2.5", "note": "事假", "year": year,
                                        "quarter": quarter})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "保存 1 条" in page
    row = re.search(r'<table class="grid" id="leave-table">.*?</table>', page, re.DOTALL).group(0)
    assert "AC2" in row and "2.5" in row and "事假" in row
    r = post(hr, "/console/unit/leave", {"staff_no": "AC2", "days": "2.3", "year": year, "quarter": quarter})
    assert r.status_code == 422 and "请假天数以 0.5 天为单位" in r.get_data(as_text=True)
    r = post(hr, "/console/unit/leave", {"staff_no": "AC2", "days": "1", "year": "abc", "quarter": quarter})
    assert r.status_code == 422 and "year 应为整数" in r.get_data(as_text=True)


def test_a_secondment_is_recorded_and_listed_and_another_units_page_is_404(hr, world, session):
    r = post(hr, "/console/unit/secondments", {"staff_no": "AC3", "host_unit": "县交通局", "start_on": "2026-01-01",
                                               "end_on": "2026-12-31", "note": "抽调专班"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "借调已登记" in page and "由县交通局考核的季度" in page
    table = re.search(r'<table class="grid" id="secondment-table">.*?</table>', page, re.DOTALL).group(0)
    assert "AC3" in table and "借出" in table and "县交通局" in table and "抽调专班" in table
    assert session.scalar(select(Secondment.note)) == "抽调专班"
    r = post(hr, "/console/unit/secondments", {"staff_no": "AC3", "host_unit": "县交通局", "start_on": "2026-13-01",
                                               "end_on": "2026-12-31"})
    assert r.status_code == 422 and "应写成 YYYY-MM-DD" in r.get_data(as_text=True)
    assert hr.get(f"/console/unit/leave?unit={world['b'].unit.id}").status_code == 404


def test_the_leave_page_needs_csrf(hr, world):
    r = hr.post("/console/unit/leave", data={"staff_no": "AC2", "days": "1"})
    assert r.status_code in (400, 403)


def test_the_supervisors_phone_sheet_shows_the_quarters_leave_beside_attendance(web_app, fake_wechat, world, session,
                                                                               policy):
    a = world["a"]
    year, quarter = this_quarter()
    leave.record(session, system_actor(), policy, a.unit.id, [leave.LeaveEntry("AC2", year, quarter, 7.5)])
    session.commit()
    client = web_app.test_client()
    assert sign_in(client, fake_wechat, a.openids["boss"], "/m/score").status_code == 302
    evaluations = {e.person_id: e.id for e in session.query(Evaluation).filter_by(cycle_id=a.cycle_id)}
    page = client.get(f"/m/score/{evaluations[a.people['c2'].id]}").get_data(as_text=True)
    block = re.search(r'<div class="indicator card"[^>]*>\s*<div class="ind-head"><span class="ind-name">勤 · '
                      r'工作态度和出勤纪律</span>.*?</div>\s*(<p[^>]*>[^<]*</p>)', page, re.DOTALL)
    assert block and "本季度请假：7.5 天" in block.group(1)
    assert page.count('id="leave-days"') == 1
    other = client.get(f"/m/score/{evaluations[a.people['c3'].id]}").get_data(as_text=True)
    assert "本季度请假：无记录" in other


def test_without_wecom_configured_the_page_offers_no_pull_and_a_pull_says_why(hr, world):
    assert 'id="wecom-form"' not in hr.get("/console/unit/leave").get_data(as_text=True)
    r = post(hr, "/console/unit/leave/wecom", {})
    assert r.status_code == 409 and "本系统未配置企业微信考勤" in r.get_data(as_text=True)


def test_a_secondment_is_edited_and_ended_early_on_the_console_but_a_decided_quarter_stays(hr, world, session,
                                                                                          policy):
    from datetime import date

    from handlers.quarter.cycles import open_cycle
    from models import Delivery, Notice

    r = post(hr, "/console/unit/secondments", {"staff_no": "AC3", "host_unit": "县交通局", "start_on": "2026-01-01",
                                               "end_on": "2026-12-31"})
    assert r.status_code == 200
    sid = session.scalar(select(Secondment.id))
    q1 = open_cycle(session, system_actor(), world["b"].unit.id, 2026, 1, policy, today=date(2026, 3, 25))
    q1.state = "filed"  # 县交通局 decided and filed 2026 Q1 with AC3 in it
    session.commit()
    page = hr.get("/console/unit/leave").get_data(as_text=True)
    assert f'id="secondment-edit-{sid}"' in page and f'id="secondment-end-{sid}"' in page

    r = post(hr, f"/console/unit/secondments/{sid}/end", {"end_on": "2026-02-10", "reason": "提前回原单位"})
    body = r.get_data(as_text=True)
    assert r.status_code == 409 and "2026年第1季度县交通局已审定等次" in body and "已审定的季度不能改写" in body
    r = post(hr, f"/console/unit/secondments/{sid}/edit", {"host_unit": "县委组织部", "start_on": "2026-01-01",
                                                           "end_on": "2026-12-31", "reason": "单位写错"})
    assert r.status_code == 409
    r = post(hr, f"/console/unit/secondments/{sid}/edit", {"host_unit": "县交通局", "start_on": "2026-01-01",
                                                           "end_on": "2026-12-31", "note": "专班", "reason": "补备注"})
    assert r.status_code == 200 and "借调已修改" in r.get_data(as_text=True)
    r = post(hr, f"/console/unit/secondments/{sid}/end", {"end_on": "2026-11-30", "reason": "专班工作结束"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "借调已提前结束（2026-11-30）" in page
    row = re.search(rf'<tr id="secondment-{sid}">.*?</tr>', page, re.DOTALL).group(0)
    assert "2026-01-01 至 2026-11-30" in row and "已提前结束" in row and "专班工作结束" in row and "专班" in row
    assert f'id="secondment-end-{sid}"' not in row
    session.expire_all()
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "secondment")
                              .order_by(AuditEntry.id)).all()
    assert actions == ["secondment.create", "secondment.edit", "secondment.end"]
    host_hr = world["b"].people["hr"].id
    told = session.scalars(select(Notice.dedupe_key).join(Delivery, Delivery.notice_id == Notice.id)
                           .where(Delivery.person_id == host_hr, Notice.dedupe_key.startswith("secondment-"))).all()
    assert sorted(k.split(":")[0] for k in told) == ["secondment-edit", "secondment-end"]
    other = hr.post(f"/console/unit/secondments/{sid}/end?unit={world['b'].unit.id}",
                    data={"csrf_token": hr.csrf, "reason": "x"})
    assert other.status_code == 404  # another unit's page
