"""The landing page ``/`` in a real headless Chromium: Chinese, and every link it shows resolves."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .pages import TIMEOUT, link_statuses


def test_the_landing_page_and_its_links(browser, live_server):
    browser.get(live_server + "/")
    assert browser.title == "考核 · 公务员平时考核系统"
    assert browser.find_element(By.TAG_NAME, "h1").text == "公务员平时考核系统"
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")]
    assert live_server + "/simulator" in hrefs and live_server + "/healthz" in hrefs
    assert all(h.startswith(live_server + "/") for h in hrefs)  # nothing leaves the server
    statuses = link_statuses(browser)
    signed_in_pages = {h for h in hrefs if h.startswith((live_server + "/m/", live_server + "/console"))}
    assert len(signed_in_pages) == 5  # each role's start page: they first send the person to sign in
    assert statuses == {h: 302 if h in signed_in_pages else 200 for h in hrefs}, statuses

    next(a for a in browser.find_elements(By.CSS_SELECTOR, "a[href]") if a.text == "/simulator").click()
    WebDriverWait(browser, TIMEOUT).until(lambda d: d.current_url == live_server + "/simulator")
    assert browser.find_element(By.CSS_SELECTOR, ".panel h3").text == "微信模拟器"
