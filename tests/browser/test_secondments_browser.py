"""Unit HR records a secondment on the desktop console, in Debian's Chromium at 1366×768: the form (dates through the
browser's date inputs), the row in the list, a change of its note with the reason, then ending it early
after the browser's confirmation. The other unit's HR is told; every step is audited. Screenshots in the tmp dir."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from handlers.actor import system_actor
from handlers.identity import admin_accounts
from models import AuditEntry, Notice, Secondment
from tests import factories as f

from .pages import wait
from .test_console_unit_browser import Console


@pytest.fixture
def two_units(db):
    """县财政局 (its HR officer has a console account, TOTP on) lends 王干事 to 县交通局, which has its own HR."""
    with db.session() as s:
        home, host = f.unit(s), f.unit(s, name="县交通局")
        boss = f.person(s, home, "中层干部", leader=True, name="张局长", staff_no="B001")
        f.person(s, home, "中层干部", name="李人事", staff_no="H001", roles=("unit_admin",), supervisor=boss)
        f.person(s, home, supervisor=boss, name="王干事", staff_no="C001")
        f.person(s, host, "中层干部", leader=True, name="赵局长", staff_no="T001")
        f.person(s, host, name="钱人事", staff_no="T002", roles=("unit_admin",))
        _, secret = admin_accounts.create_account(s, system_actor(), "caizheng", "H001", "correct horse battery", True)
        return {"secret": secret}


def set_date(driver, element, value: str) -> None:
    """A date input takes what its picker would write (typing depends on the browser's locale)."""
    driver.execute_script("arguments[0].value = arguments[1]", element, value)


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_unit_hr_records_changes_and_ends_a_secondment_on_the_console(browser, live_server, db, two_units, tmp_path):
    browser.set_window_size(1366, 768)
    c = Console(browser, live_server)
    c.sign_in("/console/unit/leave", "caizheng", "correct horse battery", two_units["secret"])
    c.see("没有借调记录")

    form = browser.find_element(By.ID, "secondment-form")
    c.type(form.find_element(By.NAME, "staff_no"), "C001")
    c.type(form.find_element(By.NAME, "host_unit"), "县交通局")
    set_date(browser, form.find_element(By.NAME, "start_on"), "2026-01-01")
    set_date(browser, form.find_element(By.NAME, "end_on"), "2026-12-31")
    c.type(form.find_element(By.NAME, "note"), "抽调专班")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    c.see("借调已登记")
    with db.session() as s:
        sid = s.query(Secondment).one().id
    row = browser.find_element(By.ID, f"secondment-{sid}")
    assert "王干事" in row.text and "借出" in row.text and "县交通局" in row.text
    assert "2026-01-01 至 2026-12-31" in row.text and "抽调专班" in row.text
    assert no_horizontal_scroll(browser)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    browser.save_screenshot(str(tmp_path / "secondment-recorded.png"))

    # a change needs its reason: the browser refuses the form without one, the server records it with one
    row.find_element(By.XPATH, ".//summary[text()='修改']").click()
    edit = browser.find_element(By.ID, f"secondment-edit-{sid}")
    c.type(edit.find_element(By.NAME, "note"), "抽调专班（交通项目）")
    edit.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert browser.execute_script("return arguments[0].validity.valueMissing",
                                  edit.find_element(By.NAME, "reason"))
    c.type(edit.find_element(By.NAME, "reason"), "补充备注")
    edit.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    c.see("借调已修改")
    assert "抽调专班（交通项目）" in browser.find_element(By.ID, f"secondment-{sid}").text

    # ending early asks for confirmation first
    row = browser.find_element(By.ID, f"secondment-{sid}")
    row.find_element(By.XPATH, ".//summary[text()='提前结束']").click()
    end = browser.find_element(By.ID, f"secondment-end-{sid}")
    set_date(browser, end.find_element(By.NAME, "end_on"), "2026-11-30")
    c.type(end.find_element(By.NAME, "reason"), "专班工作结束")
    end.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = wait(browser, lambda d: d.switch_to.alert, "the confirmation")
    assert "确定提前结束王干事的借调" in alert.text
    alert.accept()
    c.see("借调已提前结束（2026-11-30）")
    row = browser.find_element(By.ID, f"secondment-{sid}")
    assert "2026-01-01 至 2026-11-30" in row.text and "已提前结束" in row.text and "专班工作结束" in row.text
    assert not browser.find_elements(By.ID, f"secondment-end-{sid}") and no_horizontal_scroll(browser)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    browser.save_screenshot(str(tmp_path / "secondment-ended.png"))

    with db.session() as s:
        assert [a for (a,) in s.query(AuditEntry.action).filter(AuditEntry.object_type == "secondment")
                .order_by(AuditEntry.id)] == ["secondment.create", "secondment.edit", "secondment.end"]
        told = [k for (k,) in s.query(Notice.dedupe_key).filter(Notice.dedupe_key.like("secondment-%"))]
        assert sorted(k.split(":")[0] for k in told) == ["secondment-edit", "secondment-end"]
