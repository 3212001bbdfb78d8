"""The county office's quarter in a real headless Chromium at 1366×768: the board shows the unit, a results filing is
returned with a reason (the unit sees it) and the refiled one accepted, a spot check is drawn, and a notice to a
work group goes out through the local fake WeCom until the report says 已送达. A failure leaves a screenshot and the
page's HTML in the test's tmp dir."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from bot.channels import build_channels
from handlers.county import filing_lists
from handlers.identity import admin_accounts
from handlers.actor import actor_for_person, system_actor
from models import Person
from scheduler.drainer import Drainer
from tests import factories as f
from tests.web.conftest import _unit
from tests.web.county_world import decide, file_results

from .pages import wait


@pytest.fixture
def county_quarter(db, policy):
    """县财政局 has filed its results; 县交通局 is still in its quarter; a county officer with a console account."""
    with db.session() as s:
        a, b = _unit(s, policy, "县财政局", "A"), _unit(s, policy, "县交通局", "B")
        officer = f.person(s, f.unit(s, name="县委组织部"), name="县办干部", staff_no="K001", roles=("county_admin",))
        s.commit()
        admin_accounts.create_account(s, system_actor(), "county", officer.staff_no, "correct horse battery")
        s.commit()
        decide(s, policy, a.cycle_id)
        filing_id = file_results(s, policy, a)
    return {"a": a, "b": b, "filing": filing_id}


def keep_evidence(browser, tmp_path):
    browser.save_screenshot(str(tmp_path / "failure.png"))
    (tmp_path / "failure.html").write_text(browser.page_source, encoding="utf-8")


def test_county_office_quarter_in_the_browser(browser, live_server, live_settings, county_quarter, db, policy, store,
                                              fake_wechat, tmp_path):
    browser.set_window_size(1366, 768)
    try:
        _walk(browser, live_server, live_settings, county_quarter, db, policy, store, fake_wechat)
    except BaseException:
        keep_evidence(browser, tmp_path)
        raise


def sign_in_county(browser, base: str) -> None:
    """The county officer of ``county_quarter`` signs in to the console (no TOTP on this account)."""
    browser.get(base + "/console/login")
    browser.find_element(By.NAME, "username").send_keys("county")
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser, lambda d: d.current_url == base + "/console", "the console's home")


def _wait(browser, condition, what: str):
    return wait(browser, condition, what)


def _submit(browser, form_css: str, confirm: bool = False) -> None:
    browser.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]").click()
    if confirm:
        _wait(browser, lambda d: d.switch_to.alert, "the confirmation dialog").accept()


def _walk(browser, base, live_settings, world, db, policy, store, fake_wechat):
    # sign in
    sign_in_county(browser, base)
    assert "全县进度" in browser.find_element(By.CSS_SELECTOR, "nav.side").text

    # the board shows both units, 县财政局 with its results filing reported
    browser.find_element(By.LINK_TEXT, "全县进度").click()
    table = _wait(browser, lambda d: d.find_element(By.ID, "board"), "the board")
    row = next(r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr") if "县财政局" in r.text)
    assert "已报送" in row.text and "县交通局" in table.text
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")

    # the annual roll-up: its charts arrive as an image of their own, drawn within the page's CSP
    browser.get(base + "/console/county/annual")
    chart = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "figure.chart img"), "the annual chart")
    _wait(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", chart),
          "the annual chart drawn")
    assert browser.find_element(By.ID, "annual").find_elements(By.CSS_SELECTOR, "tbody tr")

    # return the results filing with a reason
    filing = world["filing"]
    browser.get(f"{base}/console/county/filings?state=submitted")
    browser.find_element(By.LINK_TEXT, f"#{filing}").click()
    browser.find_element(By.NAME, "reason").send_keys("中层干部层次好等次超过名额，请重新审定")
    _submit(browser, "form[data-confirm]", confirm=True)
    _wait(browser, lambda d: "已退回" in d.find_element(By.ID, "filing-state").text, "the returned filing")
    with db.session() as s:  # unit HR sees the reason through the same handler its pages use
        hr = actor_for_person(s, world["a"].people["hr"].id)
        seen = filing_lists.filing_detail(s, hr, policy, filing)
        assert seen["state"] == "returned" and seen["return_reason"] == "中层干部层次好等次超过名额，请重新审定"
        decide(s, policy, world["a"].cycle_id)
        assert file_results(s, policy, world["a"]) == filing

    # the refiled one is accepted
    browser.refresh()
    _submit(browser, "form:not([data-confirm])[action$='/review']")
    _wait(browser, lambda d: "已通过" in d.find_element(By.ID, "filing-state").text, "the accepted filing")

    # draw a spot check
    browser.find_element(By.LINK_TEXT, "抽查").click()
    units = browser.find_element(By.NAME, "units")
    units.clear()
    units.send_keys("2")
    browser.find_element(By.NAME, "seed").send_keys("20260101")
    _submit(browser, "#draw")
    _wait(browser, lambda d: d.find_elements(By.ID, "seed"), "the drawn spot check")
    assert browser.find_element(By.ID, "seed").text == "20260101"
    assert "县财政局" in browser.find_element(By.ID, "sample").text
    assert "随机种子 20260101" in browser.find_element(By.ID, "circular").text

    # a work group, then a notice to it, delivered through the fake WeCom while the report page polls
    browser.get(base + "/console/county/groups")
    browser.find_element(By.NAME, "name").send_keys("全县人事工作群")
    browser.find_element(By.NAME, "wecom_key").send_keys("abcd-1234-efgh-5678")
    _submit(browser, "#add-group")
    _wait(browser, lambda d: "abcd…5678" in d.find_element(By.ID, "groups").text, "the masked key")
    browser.get(base + "/console/county/notices/new")
    browser.find_element(By.NAME, "title").send_keys("关于报送第三季度考核结果的通知")
    browser.find_element(By.NAME, "body").send_keys("请各单位于本周五前完成结果备案。")
    browser.find_element(By.CSS_SELECTOR, "input[name=audience][value=group]").click()
    Select(browser.find_element(By.NAME, "group")).select_by_visible_text("全县人事工作群")
    _submit(browser, "#compose")
    _wait(browser, lambda d: d.find_elements(By.ID, "deliveries"), "the notice's report")
    assert "待发送" in browser.find_element(By.ID, "deliveries").text
    channels = build_channels(live_settings.with_overrides(send_rate=0), store, timeout=2.0)
    drain = threading.Thread(target=Drainer(db, channels, store, workers=2, lease=30).drain,
                             kwargs={"max_seconds": 5})
    drain.start()
    _wait(browser, lambda d: "已送达" in d.find_element(By.ID, "deliveries").text, "已送达 in the report")
    drain.join(10)
    assert "已完成" in browser.find_element(By.CSS_SELECTOR, "[data-field=status]").text
    robot = fake_wechat.fake.calls_to("/cgi-bin/webhook/send")
    assert len(robot) == 1 and robot[0].args["key"] == "abcd-1234-efgh-5678"
    assert "关于报送第三季度考核结果的通知" in robot[0].body["markdown"]["content"]


def test_a_scheduled_notice_report_waits_without_reloading(browser, live_server, county_quarter, db, tmp_path):
    """A notice whose time has not come: the bar shows 0% from the first paint and the page asks for the counts
    without reloading itself (it used to reload after every answer, a request loop until the notice went out)."""
    from datetime import timedelta

    from handlers.outbound import notices
    from models import utcnow

    with db.session() as s:
        officer = actor_for_person(s, s.scalar(select(Person.id).where(Person.staff_no == "K001")))
        notice_id = notices.compose(s, officer, title="定时通知", body="后天发送", to=["unit:县财政局"],
                                    send_at=utcnow() + timedelta(days=2)).id
        s.commit()
    browser.set_window_size(1366, 768)
    # every page load in this tab counts itself, so a reload shows as a second load
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1);"})
    try:
        sign_in_county(browser, live_server)
        browser.execute_script("sessionStorage.loads = '0';")
        browser.get(f"{live_server}/console/county/notices/{notice_id}")
        report = _wait(browser, lambda d: d.find_element(By.ID, "report"), "the notice's report")
        assert report.get_attribute("data-status") == "待发送"
        bar = browser.find_element(By.CSS_SELECTOR, "[data-field=bar]")
        assert bar.rect["width"] == 0  # 0%, not a full bar
        _wait(browser, lambda d: d.find_element(By.ID, "report").get_attribute("data-polls") == "1",
              "the first answer handled")
        assert browser.execute_script("return sessionStorage.loads") == "1"  # handled, and no reload
        assert browser.find_element(By.CSS_SELECTOR, "[data-field=bar]").rect["width"] == 0
    except BaseException:
        keep_evidence(browser, tmp_path)
        raise
