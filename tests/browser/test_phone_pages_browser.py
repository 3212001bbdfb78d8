"""The phone pages in a real headless Chromium at 375×667, each signed in through the real web authorization
against the local fake WeChat (its "choose who you are" page, then the code exchange over HTTP): staff write,
reload, submit; a supervisor taps every indicator and meets another device's change; the committee records the
meeting, sets grades and is refused over quota. A failing test leaves a screenshot in its tmp dir."""
from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from selenium.webdriver.common.by import By

from models import Evaluation, Summary
from tests.chat.conftest import flush_redis
from tests.web.conftest import _unit, move, submit_all_summaries

from .pages import wait


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def phone_server(settings, fake_wechat, db, redis_url):
    """The app on 127.0.0.1 with its public address known before it starts (the authorization's redirect_uri)."""
    from werkzeug.serving import make_server

    from bot import create_app
    from bot.ext import services

    flush_redis(redis_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(settings.with_overrides(wechat_api_base=fake_wechat.url, wechat_open_base=fake_wechat.url,
                                             public_url=url, login_limit_per_ip=1000, login_limit_per_openid=1000))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        services(app).close()
        flush_redis(redis_url)


def phone(driver):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 375, "height": 667, "deviceScaleFactor": 2, "mobile": True})
    return driver


@pytest.fixture
def second_browser(chromium_paths, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from .conftest import CHROME_FLAGS

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_paths[0]
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'second-profile'}")
    driver = webdriver.Chrome(service=Service(chromium_paths[1]), options=options)
    try:
        yield phone(driver)
    finally:
        driver.quit()


@contextlib.contextmanager
def screenshots_on_failure(driver, tmp_path, name):
    try:
        yield
    except BaseException:
        path = tmp_path / f"{name}.png"
        driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
        raise



def sign_in_as(driver, base, fake_wechat, openid, label, page):
    """Open a page; WeChat's authorization page (the fake) asks who you are; you tap your name; the page opens."""
    fake_wechat.fake.add_persona(openid, label)
    driver.get(base + page)
    wait(driver, lambda d: "模拟微信网页授权" in d.page_source, "the authorization page")
    driver.find_element(By.LINK_TEXT, label).click()
    wait(driver, lambda d: d.current_url == base + page, f"{page} after signing in")


def text_of(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def units(db, policy):
    with db.session() as s:
        a = _unit(s, policy, "县财政局", "A")
        return a


def test_staff_write_reload_keeps_the_draft_then_submit(browser, phone_server, fake_wechat, units, db, tmp_path):
    driver = phone(browser)
    with screenshots_on_failure(driver, tmp_path, "summary"):
        sign_in_as(driver, phone_server, fake_wechat, units.openids["c1"], "公务员：A干事1", "/m/summary")
        assert no_horizontal_scroll(driver)
        box = driver.find_element(By.ID, "text")
        box.send_keys("一、完成预算编制 12 项。\n二、审核报账 300 笔。")
        wait(driver, lambda d: text_of(d, "#save-state") == "已保存", "the autosave")
        driver.refresh()
        assert driver.find_element(By.ID, "text").get_attribute("value") == "一、完成预算编制 12 项。\n二、审核报账 300 笔。"
        driver.find_element(By.ID, "to-preview").click()
        wait(driver, lambda d: d.current_url.endswith("/m/summary/preview"), "the preview")
        assert [p.text for p in driver.find_elements(By.CSS_SELECTOR, "#preview p")] == [
            "一、完成预算编制 12 项。", "二、审核报账 300 笔。"]
        driver.save_screenshot(str(tmp_path / "summary-preview.png"))
        driver.find_element(By.ID, "confirm-submit").click()
        wait(driver, lambda d: "个人小结已提交" in d.page_source, "the confirmation")
        assert text_of(driver, "#summary-state") == "已提交"
    with db.session() as s:
        summary = s.query(Summary).filter_by(person_id=units.people["c1"].id).one()
        assert summary.state == "submitted" and summary.paragraphs == ["一、完成预算编制 12 项。", "二、审核报账 300 笔。"]


def test_supervisor_taps_every_indicator_and_meets_another_devices_change(browser, second_browser, phone_server,
                                                                          fake_wechat, units, db, policy, tmp_path):
    with db.session() as s:
        submit_all_summaries(s, units.cycle_id)
        move(s, policy, units.cycle_id, "start_scoring")
        evaluation_id = s.query(Evaluation).filter_by(cycle_id=units.cycle_id,
                                                      person_id=units.people["c1"].id).one().id
    driver = phone(browser)
    with screenshots_on_failure(driver, tmp_path, "scoring"):
        sign_in_as(driver, phone_server, fake_wechat, units.openids["boss"], "分管领导：A局长", "/m/score")
        assert "已完成 0 / 4 人" in text_of(driver, "#score-progress")
        driver.find_element(By.PARTIAL_LINK_TEXT, "A干事1").click()
        wait(driver, lambda d: d.current_url.endswith(f"/m/score/{evaluation_id}"), "the scoring sheet")
        assert "本季度完成任务。" in text_of(driver, "#their-summary")
        rows = driver.find_elements(By.CSS_SELECTOR, ".indicator")
        assert len(rows) == 10 and no_horizontal_scroll(driver)
        first = rows[0].find_element(By.CSS_SELECTOR, ".level")
        assert first.size["height"] >= 44 and first.size["width"] >= 44  # one-thumb tap targets
        for n, row in enumerate(rows, start=1):
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
            row.find_element(By.CSS_SELECTOR, '.level[data-level="优"]').click()
            wait(driver, lambda d: row.find_element(By.CSS_SELECTOR, ".score").text != "—", f"indicator {n} saved")
        wait(driver, lambda d: text_of(d, "#total") == "100.0" or text_of(d, "#total") == "100", "the total")
        assert text_of(driver, "#suggested") == "好"
        driver.save_screenshot(str(tmp_path / "scoring-sheet.png"))

        # another device changes the same evaluation: this one is told and shows the fresh values
        other = second_browser
        sign_in_as(other, phone_server, fake_wechat, units.openids["boss"], "分管领导：A局长", f"/m/score/{evaluation_id}")
        other_row = other.find_elements(By.CSS_SELECTOR, ".indicator")[1]
        other_row.find_element(By.CSS_SELECTOR, '.level[data-level="差"]').click()
        wait(other, lambda d: text_of(d, "#save-state") == "已保存", "the other device's save")
        row = driver.find_elements(By.CSS_SELECTOR, ".indicator")[0]
        row.find_element(By.CSS_SELECTOR, '.level[data-level="良"]').click()
        wait(driver, lambda d: "已在其他设备上修改" in text_of(d, "#conflict"), "the conflict message")
        fresh = other_row.find_element(By.CSS_SELECTOR, ".score").text
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".indicator")[1]
             .find_element(By.CSS_SELECTOR, ".score").text == fresh, "the fresh values")
        driver.find_element(By.ID, "submit-scores").click()
        wait(driver, lambda d: "评鉴已提交" in d.page_source, "the submission")
        assert "已完成 1 / 4 人" in text_of(driver, "#score-progress")
    with db.session() as s:
        e = s.get(Evaluation, evaluation_id)
        assert e.state == "submitted" and e.total < 100


def test_committee_records_the_meeting_sets_grades_and_is_refused_over_quota(browser, phone_server, fake_wechat,
                                                                            units, db, policy, tmp_path):
    with db.session() as s:
        for n, e in enumerate(s.query(Evaluation).filter_by(cycle_id=units.cycle_id).order_by(Evaluation.id)):
            e.total, e.suggested_grade, e.state, e.scores = 95 - n, "好", "submitted", {}
        s.commit()
        move(s, policy, units.cycle_id, "start_scoring", "start_deciding")
        clerks = [e.id for e in s.query(Evaluation).filter_by(cycle_id=units.cycle_id)
                  if e.person_id in {units.people[k].id for k in ("c1", "c2", "c3")}]
    driver = phone(browser)
    page = f"/m/decide/{units.cycle_id}"
    with screenshots_on_failure(driver, tmp_path, "committee"):
        sign_in_as(driver, phone_server, fake_wechat, units.openids["hr"], "单位管理员：A人事", page)
        assert no_horizontal_scroll(driver)
        driver.find_element(By.ID, "attendees").send_keys("党组书记、局长及全体党组成员")
        driver.find_element(By.ID, "note").send_keys("依据评鉴得分和平时表现")
        driver.find_element(By.CSS_SELECTOR, "#meeting-form button[type=submit]").click()
        wait(driver, lambda d: "会议记录已保存" in d.page_source, "the meeting saved")
        tier = driver.find_element(By.CSS_SELECTOR, '.tier[data-tier="一般干事"]')
        assert "剩余 1" in tier.find_element(By.CSS_SELECTOR, ".remaining").text
        driver.find_element(By.CSS_SELECTOR, f'#e{clerks[0]} button[value="好"]').click()
        wait(driver, lambda d: "等次已保存" in d.page_source, "the first grade")
        tier = driver.find_element(By.CSS_SELECTOR, '.tier[data-tier="一般干事"]')
        assert "剩余 0" in tier.find_element(By.CSS_SELECTOR, ".remaining").text
        driver.find_element(By.CSS_SELECTOR, f'#e{clerks[1]} button[value="好"]').click()
        wait(driver, lambda d: d.find_elements(By.ID, "page-error"), "the refusal")
        assert "一般干事" in text_of(driver, "#page-error") and "最多 1 人" in text_of(driver, "#page-error")
        driver.save_screenshot(str(tmp_path / "committee.png"))
        driver.find_element(By.CSS_SELECTOR, f'#e{clerks[1]} button[value="较好"]').click()
        wait(driver, lambda d: "等次已保存" in d.page_source, "the second grade")
    with db.session() as s:
        assert [s.get(Evaluation, i).final_grade for i in clerks[:2]] == ["好", "较好"]
