"""The phone page for the result fed back: the person sees it, agrees (with a comment) or objects (reason and an
optional attachment); refusals are Chinese pages with the typed text kept, never a 500."""
import io

from sqlalchemy import select

from models import Objection, ResultSignoff
from tests.feedback_world import decided

from .conftest import bind_oa, csrf_of, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def phone(web_app, fake_wechat, session, person, path="/m/result"):
    client = web_app.test_client()
    openid = bind_oa(session, person)
    signed_in = sign_in(client, fake_wechat, openid, path)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith(path)
    page = client.get(path)
    assert page.status_code == 200, page.data
    return client, page.get_data(as_text=True)


def test_agreeing_on_the_phone(web_app, fake_wechat, session, policy):
    w = decided(session, policy)
    session.commit()
    client, me = phone(web_app, fake_wechat, session, w.people["李明"], "/m/me")
    assert "确认考核结果" in me and "考核结果：好" in me
    page = client.get("/m/result").get_data(as_text=True)
    assert 'id="sign-form"' in page and 'id="object-form"' in page and "未确认" in page
    r = client.post("/m/result/sign", data={"csrf_token": csrf_of(page), "choice": "agree", "comment": "认可"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/m/result?msg=signed")
    done = client.get("/m/result?msg=signed").get_data(as_text=True)
    assert "已确认考核结果" in done and "同意（" in done and "认可" in done and 'id="sign-form"' not in done
    row = session.scalar(select(ResultSignoff))
    assert (row.choice, row.comment, row.channel) == ("agree", "认可", "page")
    again = client.post("/m/result/sign", data={"csrf_token": csrf_of(page), "choice": "agree"})
    assert again.status_code == 409 and "不能重复确认" in again.get_data(as_text=True)


def test_objecting_with_an_attachment_on_the_phone(web_app, fake_wechat, session, policy):
    w = decided(session, policy)
    session.commit()
    client, page = phone(web_app, fake_wechat, session, w.people["王芳"])
    r = client.post("/m/result/object", content_type="multipart/form-data",
                    data={"csrf_token": csrf_of(page), "reason": "得分与工作台账不符",
                          "attachment": (io.BytesIO(PNG), "台账.png")})
    assert r.status_code == 302 and r.headers["Location"].endswith("msg=objected")
    shown = client.get("/m/result?msg=objected").get_data(as_text=True)
    assert "待单位答复" in shown and "得分与工作台账不符" in shown and "台账.png" in shown and "有异议（" in shown
    oid = session.scalar(select(Objection.id))
    download = client.get(f"/m/objections/{oid}/attachment")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_refusals_keep_what_was_typed(web_app, fake_wechat, session, policy):
    w = decided(session, policy)
    session.commit()
    client, page = phone(web_app, fake_wechat, session, w.people["王芳"])
    token = csrf_of(page)
    r = client.post("/m/result/object", data={"csrf_token": token, "reason": "  "})
    assert r.status_code == 422 and "请写明异议理由" in r.get_data(as_text=True)
    r = client.post("/m/result/object", content_type="multipart/form-data",
                    data={"csrf_token": token, "reason": "见附件",
                          "attachment": (io.BytesIO(b"MZ\x90\x00 program"), "x.png")})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "附件只能是" in body and "见附件" in body  # the reason is still in the form
    r = client.post("/m/result/sign", data={"csrf_token": token, "choice": "maybe"})
    assert r.status_code == 422 and "请选择" in r.get_data(as_text=True)
    assert session.scalar(select(Objection)) is None and session.scalar(select(ResultSignoff)) is None
    r = client.post("/m/result/sign", data={"choice": "agree"})  # no CSRF token
    assert r.status_code == 403


def test_before_feedback_the_page_says_so(web_app, fake_wechat, session, policy):
    w = decided(session, policy, publish=False)
    session.commit()
    client, page = phone(web_app, fake_wechat, session, w.people["李明"])
    assert "还没有反馈给您" in page
    r = client.post("/m/result/sign", data={"csrf_token": csrf_of(page), "choice": "agree"})
    assert r.status_code == 409 and "公示开始后" in r.get_data(as_text=True)


def test_someone_elses_attachment_is_not_found(web_app, fake_wechat, session, policy):
    from handlers.quarter import feedback

    w = decided(session, policy)
    view = feedback.file_objection(session, w.actor(session, "王芳"), policy, "见附件", channel="api",
                                   attachment=("a.png", PNG))
    session.commit()
    client, _ = phone(web_app, fake_wechat, session, w.people["李明"])
    r = client.get(f"/m/objections/{view.objection['id']}/attachment")
    assert r.status_code == 404 and "找不到" in r.get_data(as_text=True)


def _multipart(fields: dict) -> tuple[bytes, str]:
    """The body built in memory: the test client's own encoder spools large bodies to a temp file it never closes."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = {k: FileStorage(io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in fields.items()}
    boundary, body = encode_multipart(values)
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_attachment_over_the_apps_limit_gets_a_chinese_page(web_app, fake_wechat, session, policy):
    w = decided(session, policy)
    session.commit()
    client, page = phone(web_app, fake_wechat, session, w.people["王芳"])
    body, kind = _multipart({"csrf_token": csrf_of(page), "reason": "见附件",
                             "attachment": (b"%PDF-" + b"0" * (1024 * 1024 + 10), "大文件.pdf")})
    r = client.post("/m/result/object", data=body, content_type=kind)
    assert r.status_code == 413 and "附件不能超过 700 KB" in r.get_data(as_text=True)
    assert session.scalar(select(Objection)) is None


def test_an_attachment_within_the_app_but_over_the_policy_is_refused_by_the_rule(web_app, fake_wechat, session,
                                                                                 policy):
    w = decided(session, policy)
    session.commit()
    client, page = phone(web_app, fake_wechat, session, w.people["王芳"])
    body, kind = _multipart({"csrf_token": csrf_of(page), "reason": "见附件",
                             "attachment": (b"%PDF-" + b"0" * (policy.feedback.attachment_max_kb * 1024), "台账.pdf")})
    r = client.post("/m/result/object", data=body, content_type=kind)
    assert r.status_code == 422 and "附件不能超过 700 KB" in r.get_data(as_text=True)


def test_the_unit_answer_is_shown_and_the_person_escalates_on_the_phone(web_app, fake_wechat, session, policy):
    from handlers.quarter import feedback, objections

    w = decided(session, policy)
    feedback.file_objection(session, w.actor(session, "王芳"), policy, "等次偏低", channel="page")
    session.commit()
    client, page = phone(web_app, fake_wechat, session, w.people["王芳"])
    assert "单位应于" in page and 'id="reply-form"' not in page
    early = client.post("/m/result/reply", data={"csrf_token": csrf_of(page), "action": "escalate", "reason": "不服"})
    assert early.status_code == 409 and "尚未答复" in early.get_data(as_text=True)
    objections.answer(session, w.hr, policy, session.scalar(select(Objection.id)), "uphold", "评分依据充分")
    session.commit()
    page = client.get("/m/result").get_data(as_text=True)
    assert "维持原等次“较好”。评分依据充分" in page and 'id="escalate"' in page and 'id="accept"' in page
    empty = client.post("/m/result/reply", data={"csrf_token": csrf_of(page), "action": "escalate", "reason": " "})
    assert empty.status_code == 422 and "请写明申诉理由" in empty.get_data(as_text=True)
    r = client.post("/m/result/reply", data={"csrf_token": csrf_of(page), "action": "escalate",
                                             "reason": "未说明扣分依据"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/m/result?msg=escalated")
    done = client.get("/m/result?msg=escalated").get_data(as_text=True)
    assert "已向县公务员办申诉" in done and "未说明扣分依据" in done and 'id="reply-form"' not in done
    session.expire_all()
    assert session.scalar(select(Objection.state)) == "escalated"
