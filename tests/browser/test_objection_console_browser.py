"""An objection on the console, in a real headless Chromium at 1366×768 (issue 15): unit HR tries to change the grade
(the tier's 好 quota refuses it, in Chinese, nothing changes), then upholds it with a reason; the person escalates
(their chat command's handler); the county office sees the escalation in its list and concludes it. A failure leaves
a screenshot and the page's HTML in the test's tmp dir."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from handlers.identity import admin_accounts
from handlers.actor import system_actor
from handlers.quarter import feedback, objections
from models import Evaluation, Objection
from tests import factories as f
from tests.feedback_world import decided

from .pages import wait


@pytest.fixture
def objected(db, policy):
    """县财政局 published its quarter; 王芳 (较好) objects; HR 孙人事 and a county officer have console accounts."""
    with db.session() as s:
        w = decided(s, policy)
        feedback.file_objection(s, w.actor(s, "王芳"), policy, "等次偏低，第三项指标得分与实际工作量不符", channel="chat")
        officer = f.person(s, f.unit(s, "县委组织部"), name="县办干部", staff_no="K001", roles=("county_admin",))
        s.commit()
        admin_accounts.create_account(s, system_actor(), "caizheng", "F006", "correct horse battery")
        admin_accounts.create_account(s, system_actor(), "county", officer.staff_no, "correct horse battery")
        s.commit()
        return {"cycle": w.cycle.id, "objection": s.scalar(select(Objection.id)), "wang": w.people["王芳"].id}


def sign_in(browser, base, username):
    browser.delete_all_cookies()
    browser.get(base + "/console/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser, lambda d: d.current_url.rstrip("/").endswith("/console"), "the console's home")


def main_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def test_unit_hr_answers_an_objection_and_the_county_concludes_the_escalation(browser, live_server, db, policy,
                                                                             objected, tmp_path):
    browser.set_window_size(1366, 768)
    try:
        _walk(browser, live_server, db, policy, objected)
    except BaseException:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        (tmp_path / "failure.html").write_text(browser.page_source, encoding="utf-8")
        raise


def _walk(browser, base, db, policy, objected):
    oid = objected["objection"]
    sign_in(browser, base, "caizheng")
    browser.get(f"{base}/console/unit/cycles/{objected['cycle']}/signoffs")
    wait(browser, lambda d: d.find_elements(By.ID, f"answer-{oid}"), "the answer form")
    assert "等次偏低" in browser.find_element(By.ID, "objections-table").text

    # 改变等次 to 好: the tier's quota (held by 李明) refuses it, the page says why, nothing changed
    form = browser.find_element(By.ID, f"answer-{oid}")
    form.find_element(By.CSS_SELECTOR, "input[name=action][value=change]").click()
    form.find_element(By.NAME, "reason").send_keys("党委复议")
    form.find_element(By.CSS_SELECTOR, "select[name=new_grade] option[value='好']").click()
    browser.execute_script("arguments[0].value = '2026-10-19'", form.find_element(By.NAME, "meeting_on"))
    form.find_element(By.NAME, "attendees").send_keys("张局长、党委全体成员")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: "名额" in main_text(d), "the quota refusal")
    with db.session() as s:
        assert s.get(Objection, oid).state == "open"
        wang = s.scalar(select(Evaluation).where(Evaluation.person_id == objected["wang"]))
        assert wang.final_grade == "较好"

    # 维持原等次 with a reason
    form = browser.find_element(By.ID, f"answer-{oid}")
    form.find_element(By.CSS_SELECTOR, "input[name=action][value=uphold]").click()
    form.find_element(By.NAME, "reason").clear()
    form.find_element(By.NAME, "reason").send_keys("经复核，评分依据充分")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: "异议已答复，已通知本人" in main_text(d), "the answered message")
    assert "经复核，评分依据充分" in browser.find_element(By.ID, f"objection-{oid}").text

    # 王芳 escalates (what “申诉 <理由>” in the chat calls)
    with db.session() as s:
        from handlers.actor import actor_for_person

        objections.respond(s, actor_for_person(s, objected["wang"]), policy, "escalate", "单位未说明第三项的评分依据",
                           channel="chat")
        s.commit()

    # the county office sees it on the board and in its list, and concludes it
    sign_in(browser, base, "county")
    browser.get(f"{base}/console/county/board")
    counts = wait(browser, lambda d: d.find_element(By.ID, "objection-counts"), "the objection counts").text
    assert "待县公务员办办理的申诉 1 件" in counts
    browser.get(f"{base}/console/county/objections")
    row = wait(browser, lambda d: d.find_element(By.ID, "objections"), "the objections list").text
    assert "县财政局" in row and "王芳" in row and "单位未说明第三项的评分依据" in row
    close = browser.find_element(By.ID, f"close-{oid}")
    close.find_element(By.NAME, "note").send_keys("经审查，维持单位答复")
    close.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: "申诉已办结" in main_text(d), "the concluded message")
    with db.session() as s:
        assert s.get(Objection, oid).state == "closed"
