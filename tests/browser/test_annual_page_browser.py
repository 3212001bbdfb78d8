"""The annual grade's page in headless Chromium at 375×667: a person told 不称职 opens 我的考核 → 年度考核等次,
asks for a 复核 with a reason and sees it recorded with the law's note; after the unit upholds it they 申诉."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from handlers.results import annual_results
from models import Objection
from tests.annual_world import YEAR, year_decided
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


def test_asking_for_a_review_of_the_annual_grade_then_appealing(browser, phone_server, fake_wechat, db, policy,  # noqa: F811
                                                               tmp_path):
    from handlers.quarter import objections

    with db.session() as s:
        w = year_decided(s, policy)
        annual_results.record_suggested(s, w.hr, policy, w.unit.id, YEAR)
        annual_results.feed_back(s, w.hr, policy, w.unit.id, YEAR)
        openid = bind_oa(s, w.people["王芳"])
    driver = phone(browser)
    with screenshots_on_failure(driver, tmp_path, "annual"):
        sign_in_as(driver, phone_server, fake_wechat, openid, "公务员：王芳", "/m/me")
        driver.find_element(By.ID, "annual-link").click()
        wait(driver, lambda d: d.current_url.endswith("/m/annual"), "the annual page")
        assert text_of(driver, "#grade") == "不称职" and no_horizontal_scroll(driver)
        assert driver.find_element(By.ID, "object").size["height"] >= 44
        driver.find_element(By.ID, "reason").send_keys("病假期间的工作未计入全年考核")
        submit = driver.find_element(By.ID, "object")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
        submit.click()
        wait(driver, lambda d: "已申请复核" in d.page_source, "the confirmation")
        assert text_of(driver, "#objection-state") == "待单位答复"
        assert "不停止" in text_of(driver, "#objection") and no_horizontal_scroll(driver)
        with db.session() as s:
            o = s.query(Objection).one()
            assert (o.kind, o.reason, o.channel) == ("annual", "病假期间的工作未计入全年考核", "page")
            objections.answer(s, w.hr, policy, o.id, "uphold", "四个季度均为较差，依规直接确定")
        driver.get(driver.current_url.split("?")[0])
        wait(driver, lambda d: d.find_elements(By.ID, "objection-answer"), "the decision")
        assert "依规直接确定" in text_of(driver, "#objection-answer")
        driver.find_element(By.ID, "escalation").send_keys("单位未考虑病假因素")
        submit = driver.find_element(By.ID, "escalate")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
        submit.click()
        wait(driver, lambda d: "已向县公务员办申诉" in d.page_source, "the confirmation")
        assert text_of(driver, "#objection-state") == "已向县公务员办申诉" and no_horizontal_scroll(driver)
        driver.save_screenshot(str(tmp_path / "annual-escalated.png"))
    with db.session() as s:
        assert s.query(Objection).one().state == "escalated"
