"""加扣分与问责 on the desktop console, in Debian's Chromium at 1366×768: unit HR picks a person and an item of the
county's catalogue, attaches the evidence through the file input and records it; a 问责 item without its evidence
is refused in Chinese with the form kept. The page never scrolls sideways."""
from __future__ import annotations

from datetime import date

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from models import MeritEvent

from .test_console_unit_browser import Console, unit_hr  # noqa: F401  (the fixture: 县财政局 with a console account)


def test_unit_hr_records_an_event_with_its_evidence(browser, live_server, db, unit_hr, tmp_path):  # noqa: F811
    browser.set_window_size(1366, 768)
    c = Console(browser, live_server)
    evidence = tmp_path / "诫勉决定书.pdf"
    evidence.write_bytes(b"%PDF-1.4\n" + b"x" * 2048)
    c.sign_in("/console/unit/merits", "caizheng", "correct horse battery", unit_hr["secret"])
    c.see("县里的目录")

    def fill(with_file: bool) -> None:
        Select(browser.find_element(By.NAME, "staff_no")).select_by_value("C001")
        Select(browser.find_element(By.NAME, "item_code")).select_by_value("W01")
        day = browser.find_element(By.NAME, "occurred_on")
        browser.execute_script("arguments[0].value = arguments[1]", day, date.today().isoformat())
        c.type(browser.find_element(By.NAME, "description"), "县纪委诫勉谈话")
        if with_file:
            browser.find_element(By.NAME, "evidence").send_keys(str(evidence))
        c.click("#merit-submit")

    fill(with_file=False)
    c.see("“受到诫勉”须上传证明材料（诫勉决定书）")
    assert browser.find_element(By.NAME, "description").get_attribute("value") == "县纪委诫勉谈话"
    fill(with_file=True)
    c.see("已记录")
    listed = browser.find_element(By.ID, "merits").text
    assert "王干事1" in listed and "受到诫勉" in listed and "待县公务员办审核" in listed and "诫勉决定书.pdf" in listed
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    with db.session() as s:
        event = s.query(MeritEvent).one()
        assert event.evidence_size == 2057 and event.evidence_name == "诫勉决定书.pdf"
