"""The result page in headless Chromium at 375×667: a person opens 我的考核, taps 确认考核结果, writes an objection
with a picture attached and sees it recorded; the page fits the phone and its buttons are thumb-sized."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from models import Objection, ResultSignoff
from tests.feedback_world import decided
from tests.web.conftest import bind_oa

from .pages import wait
from .test_phone_pages_browser import (  # noqa: F401 (fixture)
    no_horizontal_scroll,
    phone,
    phone_server,
    screenshots_on_failure,
    sign_in_as,
    text_of,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_objecting_with_a_picture_on_the_phone(browser, phone_server, fake_wechat, db, policy, tmp_path):  # noqa: F811
    with db.session() as s:
        w = decided(s, policy)
        openid = bind_oa(s, w.people["王芳"])
    picture = tmp_path / "台账.png"
    picture.write_bytes(PNG)
    driver = phone(browser)
    with screenshots_on_failure(driver, tmp_path, "result"):
        sign_in_as(driver, phone_server, fake_wechat, openid, "公务员：王芳", "/m/me")
        button = driver.find_element(By.ID, "confirm-result")
        assert button.size["height"] >= 44 and no_horizontal_scroll(driver)
        button.click()
        wait(driver, lambda d: d.current_url.endswith("/m/result"), "the result page")
        assert text_of(driver, "#grade") == "较好" and "未确认" in text_of(driver, "#signed")
        assert no_horizontal_scroll(driver)
        for target in ("agree", "object"):
            assert driver.find_element(By.ID, target).size["height"] >= 44
        driver.find_element(By.ID, "reason").send_keys("第三项指标得分与工作台账不符")
        driver.find_element(By.ID, "attachment").send_keys(str(picture))
        submit = driver.find_element(By.ID, "object")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
        submit.click()
        wait(driver, lambda d: "已提出异议" in d.page_source, "the confirmation")
        assert text_of(driver, "#objection-state") == "待单位答复"
        assert text_of(driver, "#signed").startswith("有异议（")
        assert "台账.png" in text_of(driver, "#objection") and no_horizontal_scroll(driver)
        driver.save_screenshot(str(tmp_path / "result-objected.png"))
    with db.session() as s:
        o = s.query(Objection).one()
        assert (o.reason, o.attachment, o.channel) == ("第三项指标得分与工作台账不符", PNG, "page")
        assert s.query(ResultSignoff).one().choice == "object"


def test_the_answer_escalated_on_the_phone(browser, phone_server, fake_wechat, db, policy, tmp_path):  # noqa: F811
    from handlers.quarter import feedback, objections

    with db.session() as s:
        w = decided(s, policy)
        openid = bind_oa(s, w.people["王芳"])
        feedback.file_objection(s, w.actor(s, "王芳"), policy, "第三项指标得分与工作台账不符", channel="page")
        objections.answer(s, w.hr, policy, s.query(Objection).one().id, "uphold", "评分依据为季度工作台账，依据充分")
    driver = phone(browser)
    with screenshots_on_failure(driver, tmp_path, "reply"):
        sign_in_as(driver, phone_server, fake_wechat, openid, "公务员：王芳", "/m/result")
        assert "依据充分" in text_of(driver, "#objection-answer") and no_horizontal_scroll(driver)
        for target in ("accept", "escalate"):
            assert driver.find_element(By.ID, target).size["height"] >= 44
        driver.find_element(By.ID, "escalation").send_keys("单位未说明扣分依据")
        submit = driver.find_element(By.ID, "escalate")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
        submit.click()
        wait(driver, lambda d: "已向县公务员办申诉" in d.page_source, "the confirmation")
        assert text_of(driver, "#objection-state") == "已向县公务员办申诉" and no_horizontal_scroll(driver)
        driver.save_screenshot(str(tmp_path / "result-escalated.png"))
    with db.session() as s:
        o = s.query(Objection).one()
        assert (o.state, o.escalation_reason) == ("escalated", "单位未说明扣分依据")
