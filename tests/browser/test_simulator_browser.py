"""``/simulator`` in a real headless Chromium against the real app on 127.0.0.1: bind with a one-time code, write a
summary in two paragraphs, preview, submit (with its confirmation), check the status — in safe (AES) mode — and see
the replies in the chat window and the rows in the database."""
from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from sqlalchemy import select

from models import AuditEntry, Summary, WeChatBinding

from .pages import ChatPage

P1 = "一、认真完成本季度预算编制和执行分析工作。"
P2 = "二、参加业务培训两次，按时办结群众来信。"


def test_the_whole_conversation_in_safe_mode(browser, live_server, db, small_unit, tmp_path):
    page = ChatPage(browser, live_server).open()
    assert browser.title.startswith("微信模拟器")
    assert page.mode_labels() == ["明文模式", "兼容模式", "安全模式"]
    page.choose_mode("安全模式")

    assert "欢迎关注" in page.click_event("关注")

    code = page.issue_bind_code("C001")
    assert page.last_system_line() == f"王干事（C001）的绑定码：{code}"
    assert page.typed_text() == f"绑定 {code}"  # the page prefills the message
    assert page.press_send().startswith("绑定成功！王干事（C001）")
    wire = page.wire()
    assert "<Encrypt>" in wire and code not in wire  # safe mode: only ciphertext on the wire, both ways
    assert "← HTTP 200" in wire

    assert "开始填写" in page.quick("写小结")
    assert page.send(P1).startswith(f"已记录第 1 段（共 {len(P1)} 字）")
    assert page.send(P2).startswith("已记录第 2 段")
    preview = page.quick("预览")
    assert f"1. {P1}\n2. {P2}" in preview and "草稿" in preview
    with db.session() as s:
        draft = s.scalar(select(Summary))
        assert (draft.person_id, draft.state, draft.paragraphs) == (small_unit["clerk"], "draft", [P1, P2])

    prompt = page.quick("提交")
    assert "确认提交" in prompt and "2 段" in prompt
    assert "个人小结已提交" in page.quick("确认")
    status = page.quick("我的考核")
    assert "个人小结：已提交" in status and "年度考核" in status

    bubbles = page.bubbles()
    assert [text for who, text in bubbles if who == "me"] == [
        "[关注公众号]", f"绑定 {code}", "写小结", P1, P2, "预览", "提交", "确认", "我的考核"]
    assert sum(1 for who, _ in bubbles if who == "bot") == 9  # one reply per message, in order
    with db.session() as s:
        submitted = s.scalar(select(Summary))
        assert submitted.state == "submitted" and submitted.submitted_at is not None
        assert submitted.paragraphs == [P1, P2]
        binding = s.scalar(select(WeChatBinding))
        assert (binding.person_id, binding.openid) == (small_unit["clerk"], page.openid())
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "summary")))
        assert actions.count("summary.add_paragraph") == 2 and "summary.submit" in actions

    issue = browser.find_element(By.ID, "issue").rect
    assert issue["width"] > issue["height"]  # “生成” on one line, not squeezed into a vertical strip by its input
    shot = tmp_path / "simulator.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_modes_show_the_wire_format(browser, live_server, small_unit):
    page = ChatPage(browser, live_server).open()
    page.choose_mode("明文模式")
    assert "绑定" in page.quick("帮助")
    wire = page.wire()
    assert "<Content><![CDATA[帮助]]></Content>" in wire and "<Encrypt>" not in wire
    page.choose_mode("兼容模式")
    page.quick("帮助")
    wire = page.wire()
    assert "<Content><![CDATA[帮助]]></Content>" in wire and "<Encrypt>" in wire  # compatible: both
    page.choose_mode("安全模式")
    page.quick("帮助")
    assert "<Content>" not in page.wire().split("← HTTP")[0]


def test_the_openid_survives_a_reload(browser, live_server, db, small_unit):
    """A generated openid is kept: reloading the page must not turn the tester into a different WeChat user."""
    page = ChatPage(browser, live_server).open()
    first = page.openid()
    assert re.fullmatch(r"o-sim-[0-9a-z]+", first)
    page.send(f"绑定 {page.issue_bind_code('C001')}")
    page = ChatPage(browser, live_server).open()
    assert page.openid() == first and page.who() == f"你是 {first}"
    assert "个人小结" in page.quick("我的考核")  # still bound
    with db.session() as s:
        assert s.scalar(select(WeChatBinding.openid)) == first


def test_replies_keep_the_order_of_the_messages(browser, live_server, db, small_unit):
    """Messages sent in quick succession reach the bot one after another, so 提交 → 确认 works even when
    the second button is pressed before the first reply arrived."""
    page = ChatPage(browser, live_server).open()
    page.send(f"绑定 {page.issue_bind_code('C001')}")
    page.quick("写小结")
    page.send(P1)
    replies = page.burst(["提交", "确认", "我的考核"])
    assert "确认提交" in replies[0] and "个人小结已提交" in replies[1] and "个人小结：已提交" in replies[2]
    with db.session() as s:
        assert s.scalar(select(Summary.state)) == "submitted"


def test_errors_are_shown_in_chinese(browser, live_server, small_unit):
    page = ChatPage(browser, live_server).open()
    page.issue_bind_code("NOBODY", expect_code=False)
    assert page.last_system_line() == "找不到人员编号为 NOBODY 的人员"
    assert "绑定码无效" in page.send("绑定 ABCDEFGH")
    assert "请先绑定身份" in page.quick("写小结")


def test_it_fits_a_phone_screen(browser, live_server):
    """Opened on a phone (390 px wide), the chat window takes the screen's width: no sideways scrolling, and the
    panel beside it wraps below instead of squeezing the chat into a strip."""
    browser.set_window_size(390, 844)
    page = ChatPage(browser, live_server).open()
    width, scroll = browser.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth];")
    assert scroll <= width, (scroll, width)
    phone = browser.find_element(By.CSS_SELECTOR, ".phone").rect
    assert phone["x"] >= 0 and phone["x"] + phone["width"] <= width and phone["width"] >= 0.9 * width, (phone, width)
    panel = browser.find_element(By.CSS_SELECTOR, ".panel").rect
    assert panel["y"] >= phone["y"] + phone["height"]  # below the chat, not beside it
    issue = browser.find_element(By.ID, "issue").rect
    assert issue["width"] > issue["height"]
    assert "请先绑定身份" in page.quick("帮助")  # and still usable
