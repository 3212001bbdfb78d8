"""The county office reads the 操作日志 in Debian's Chromium at 1366×768: it picks 备案 from the filter by its Chinese
name, and the unit's filed results read as 报送备案 / 备案 县财政局 2026年第4季度结果一览表 / 行数：… — no action codes, no JSON, Beijing time.
Screenshot in the test's tmp dir."""
from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .pages import wait
from .test_console_county_browser import county_quarter, keep_evidence, sign_in_county  # noqa: F401 (the fixture)


def test_the_county_office_filters_and_reads_the_audit_log(browser, live_server, county_quarter, tmp_path):  # noqa: F811
    browser.set_window_size(1366, 768)
    try:
        sign_in_county(browser, live_server)
        browser.get(live_server + "/console/county/audit")
        Select(browser.find_element(By.NAME, "action")).select_by_visible_text("备案：全部")
        browser.find_element(By.CSS_SELECTOR, "form[aria-label=筛选] button[type=submit]").click()
        wait(browser, lambda d: "action=filing" in d.current_url, "the filtered log")
        table = browser.find_element(By.ID, "audit").text
        assert "报送备案" in table and "行数：" in table
        assert re.search(r"备案 \S+ \d{4}年第\d季度结果一览表", table) and "#" not in table
        assert not re.search(r"\b[a-z_]+\.[a-z_]+\b", table) and "{" not in table
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", table)
        assert Select(browser.find_element(By.NAME, "action")).first_selected_option.text == "备案：全部"
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.get(live_server + "/console/county/audit")
        browser.save_screenshot(str(tmp_path / "audit-log.png"))
    except BaseException:
        keep_evidence(browser, tmp_path)
        raise
