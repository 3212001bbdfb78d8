"""加扣分与问责 in the console and on the phone: unit HR records an event with an uploaded evidence file and sees it
listed per person and quarter; the county office approves it; the committee's pages show the blocked grade with the
item and its period, the score sheet the applied adjustments; bad uploads are Chinese 422 pages, never a 500."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from models import AuditEntry, Evaluation, MeritEvent

from .conftest import console_sign_in, current_totp, move, sign_in, submit_all_summaries

PDF = b"%PDF-1.4\n" + b"q" * 4000


def csrf(client, path: str = "/console") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)


def signed_in(web_app, account):
    client = web_app.test_client()
    user, password, secret = account
    assert console_sign_in(client, user, password, current_totp(secret) if secret else None).status_code == 302
    client.csrf = csrf(client)
    return client


@pytest.fixture
def hr(web_app, console_accounts):
    return signed_in(web_app, console_accounts["hr"])


@pytest.fixture
def office(web_app, console_accounts):
    return signed_in(web_app, console_accounts["county"])


def record(client, staff_no, code="W01", on=None, data=PDF, name="诫勉决定书.pdf", description="县纪委诫勉谈话"):
    """The form as a browser posts it. The body is encoded in memory: the test client's own encoder spools a large
    body to a temporary file it never closes."""
    form = {"csrf_token": client.csrf, "staff_no": staff_no, "item_code": code,
            "occurred_on": (on or date.today()).isoformat(), "description": description}
    if data is not None:
        form["evidence"] = FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
    boundary, body = encode_multipart(form)
    return client.post("/console/unit/merits", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_recorded_with_evidence_listed_approved_and_downloaded(hr, office, world, session):
    clerk = world["a"].people["c1"]
    r = record(hr, clerk.staff_no)
    assert r.status_code == 302 and "msg=merit" in r.headers["Location"]
    page = hr.get(r.headers["Location"]).get_data(as_text=True)
    assert "已记录" in page and "受到诫勉" in page and "待县公务员办审核" in page and "诫勉决定书.pdf" in page
    event = session.scalar(select(MeritEvent))
    assert event.evidence_size == len(PDF) and event.state == "pending"
    download = hr.get(f"/console/merits/{event.id}/evidence")
    assert download.status_code == 200 and download.data == PDF and "attachment" in download.headers[
        "Content-Disposition"]

    county_page = office.get("/console/county/merits").get_data(as_text=True)
    assert "受到诫勉" in county_page and "通过" in county_page
    r = office.post(f"/console/county/merits/{event.id}/review", data={"csrf_token": office.csrf, "decision": "reject"})
    assert r.status_code == 422 and "不予通过时请填写原因" in r.get_data(as_text=True)
    r = office.post(f"/console/county/merits/{event.id}/review", data={"csrf_token": office.csrf,
                                                                      "decision": "approve", "note": "属实"})
    assert r.status_code == 302
    session.refresh(event)
    assert event.state == "approved"
    assert hr.get("/console/county/merits").status_code == 403
    assert {"merit.record", "merit.review"} <= set(session.scalars(select(AuditEntry.action)))


@pytest.mark.parametrize("code, data, name, fragment", [
    ("W01", None, None, "“受到诫勉”须上传证明材料（诫勉决定书）"),
    ("W01", b"MZ\x90\x00", "tool.exe", "证明材料只能是 pdf、jpg、jpeg、png 格式，收到“tool.exe”"),
    ("W01", b"<html>", "fake.pdf", "证明材料的内容不是 pdf 文件"),
    ("W01", b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf", "证明材料不能超过 5 MB"),
    ("NOPE", PDF, "a.pdf", "加扣分目录中没有编号为“NOPE”的事项"),
])
def test_bad_uploads_and_items_are_chinese_422_pages_keeping_the_form(hr, world, session, code, data, name, fragment):
    r = record(hr, world["a"].people["c2"].staff_no, code, data=data, name=name, description="保留的说明")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and fragment in page and "保留的说明" in page
    assert session.scalar(select(MeritEvent.id)) is None


def test_a_file_far_over_any_limit_is_refused_before_it_is_read(hr, world):
    r = record(hr, world["a"].people["c2"].staff_no, data=b"%PDF-" + b"0" * (7 * 1024 * 1024), name="huge.pdf")
    assert r.status_code == 413 and "请求内容过大" in r.get_data(as_text=True)


def test_another_units_person_and_csrf(hr, world, session):
    r = record(hr, world["b"].people["c1"].staff_no)
    assert r.status_code == 404 and "找不到该人员" in r.get_data(as_text=True)
    hr.csrf = "0" * 64
    assert record(hr, world["a"].people["c1"].staff_no).status_code == 403
    assert session.scalar(select(MeritEvent.id)) is None


def test_the_committee_and_the_score_sheet_show_the_items(hr, office, web_app, world, session, policy, fake_wechat):
    a = world["a"]
    clerk = a.people["c1"]
    record(hr, clerk.staff_no)
    record(hr, a.people["c2"].staff_no, "J02", name="证书.pdf")
    for event in session.scalars(select(MeritEvent)):
        office.post(f"/console/county/merits/{event.id}/review", data={"csrf_token": office.csrf,
                                                                        "decision": "approve"})
    submit_all_summaries(session, a.cycle_id)
    move(session, policy, a.cycle_id, "start_scoring")

    phone = web_app.test_client()
    sign_in(phone, fake_wechat, a.openids["boss"], "/m/score")
    e2 = session.scalar(select(Evaluation).where(Evaluation.person_id == a.people["c2"].id))
    sheet = phone.get(f"/m/score/{e2.id}").get_data(as_text=True)
    assert "加扣分（已计入合计）" in sheet and "受到市级以上表彰奖励" in sheet and "+2 分" in sheet

    move(session, policy, a.cycle_id, "start_deciding")
    e1 = session.scalar(select(Evaluation).where(Evaluation.person_id == clerk.id))
    console = hr.get(f"/console/unit/cycles/{a.cycle_id}/decide").get_data(as_text=True)
    assert "受到诫勉" in console and "影响期内不得评为好" in console
    today = date.today().isoformat()
    hr.post(f"/console/unit/cycles/{a.cycle_id}/meeting", data={"csrf_token": hr.csrf, "meeting_on": today,
                                                                  "attendees": "党组全体成员"})
    r = hr.post(f"/console/unit/cycles/{a.cycle_id}/decide", data={"csrf_token": hr.csrf, f"grade_{e1.id}": "好"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and f"{clerk.name}受到诫勉（{today}，影响期 {today} 至" in page
    session.refresh(e1)
    assert e1.final_grade is None

    hr_phone = web_app.test_client()
    sign_in(hr_phone, fake_wechat, a.openids["hr"], f"/m/decide/{a.cycle_id}")
    m_page = hr_phone.get(f"/m/decide/{a.cycle_id}").get_data(as_text=True)
    assert "影响期内不得评为好" in m_page and 'disabled title="受负面清单/问责事项限制"' in m_page


def test_the_result_lists_print_view_and_xlsx_have_a_merits_column(hr, office, world, session):
    from openpyxl import load_workbook

    from models import Cycle

    clerk = world["a"].people["c1"]
    assert record(hr, clerk.staff_no, code="K01", data=None, description="迟到").status_code == 302
    event_id = session.scalar(select(MeritEvent.id))
    r = office.post(f"/console/county/merits/{event_id}/review", data={"csrf_token": office.csrf, "decision": "approve"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(MeritEvent, event_id).state == "approved"
    cycle = session.get(Cycle, world["a"].cycle_id)
    q = f"year={cycle.year}&quarter={cycle.quarter}"
    text = f"无故迟到早退（{date.today().isoformat()}）-0.5 分"
    page = hr.get(f"/console/unit/documents/print?{q}").get_data(as_text=True)
    assert "<th>加扣分</th>" in page
    row = re.search(r"<tr><td class=\"num\">\d+</td><td>AC1</td>.*?</tr>", page, re.DOTALL).group(0)
    assert f'<td class="merits">{text}</td>' in row
    sheet = load_workbook(io.BytesIO(hr.get(f"/console/unit/documents/file?doc=results&{q}").data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    col = next(r for r in rows if r[0] == "序号").index("加扣分")
    assert next(r for r in rows if r[1] == "AC1")[col] == text
    assert next(r for r in rows if r[1] == "AC2")[col] in (None, "")
