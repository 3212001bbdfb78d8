"""Unit HR's quarter on the desktop console, in Debian's Chromium at 1366×768: sign in with password and TOTP,
upload a roster with a bad row and see the row named, fix it and import; open the quarter, edit the indicators
(the 40 + 60 check answers while typing), issue bind codes; advance, decide (the over-quota refusal shows), publish
and file. What the supervisors do on their phones is written straight into the database between the steps.
On failure a screenshot is kept in the test's tmp dir."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from handlers.identity import admin_accounts
from handlers.actor import system_actor
from models import Cycle, Evaluation, Filing, Person, WeChatBinding, utcnow
from models.rules.quota import good_quota
from tests import factories as f

from .pages import wait

HEADER = ["人员编号", "姓名", "单位", "考评层次", "分管领导编号", "手机号"]


def roster(path, rows) -> str:
    wb = Workbook()
    wb.active.append(HEADER)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return str(path)


@pytest.fixture
def unit_hr(db):
    """县财政局: its head (scores everyone), its HR officer with a console account (TOTP on) and two clerks."""
    with db.session() as s:
        unit = f.unit(s)
        boss = f.person(s, unit, "中层干部", leader=True, name="张局长", staff_no="B001")
        people = [boss, f.person(s, unit, "中层干部", name="李人事", staff_no="H001", roles=("unit_admin",),
                                 supervisor=boss)]
        people += [f.person(s, unit, supervisor=boss, name=f"王干事{i}", staff_no=f"C00{i}") for i in (1, 2)]
        for p in people:  # everybody already here has bound WeChat; the newcomers will need codes
            s.add(WeChatBinding(person_id=p.id, channel="oa", openid=f"o-{p.staff_no}", bound_at=utcnow()))
        s.flush()
        _, secret = admin_accounts.create_account(s, system_actor(), "caizheng", "H001", "correct horse battery", True)
        return {"unit": unit.id, "secret": secret}


class Console:
    def __init__(self, driver, base: str):
        self.d, self.base = driver, base

    def go(self, path: str) -> None:
        self.d.get(self.base + path)

    def sign_in(self, path: str, username: str, password: str, totp_secret: str | None = None) -> None:
        """Open ``path``, meet the login page, sign in (with the current TOTP code when the account has one)."""
        self.go(path)
        self.wait(lambda d: "/console/login" in d.current_url, "the login page")
        self.type(self.d.find_element(By.NAME, "username"), username)
        self.type(self.d.find_element(By.NAME, "password"), password)
        if totp_secret:
            self.type(self.d.find_element(By.NAME, "totp"), admin_accounts.totp(totp_secret, int(time.time() // 30)))
        self.d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    def wait(self, condition, what: str):
        return wait(self.d, condition, what)

    def text(self) -> str:
        return self.d.find_element(By.TAG_NAME, "main").text

    def see(self, words: str):
        return self.wait(lambda d: words in d.find_element(By.TAG_NAME, "main").text, words)

    def click(self, css: str, confirm: bool = False) -> None:
        self.d.find_element(By.CSS_SELECTOR, css).click()
        if confirm:
            self.wait(lambda d: d.switch_to.alert, "the confirmation").accept()

    def nav(self, label: str) -> None:
        next(a for a in self.d.find_elements(By.CSS_SELECTOR, "nav.side a") if a.text == label).click()
        self.wait(lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith(label), label)

    def type(self, element, value: str) -> None:
        element.clear()
        element.send_keys(value)


def _score_everyone(db, cycle_id: int) -> None:
    with db.session() as s:
        for n, e in enumerate(s.query(Evaluation).filter_by(cycle_id=cycle_id).order_by(Evaluation.id)):
            e.total, e.suggested_grade, e.state, e.scores = 95 - n, "好", "submitted", {}


def test_unit_hr_runs_the_quarter_on_the_console(browser, live_server, db, policy, unit_hr, tmp_path):
    browser.set_window_size(1366, 768)
    c = Console(browser, live_server)
    try:
        # sign in with password and TOTP
        c.sign_in("/console/unit/roster", "caizheng", "correct horse battery", unit_hr["secret"])
        c.see("现有人员")
        assert "王干事2" in c.text()

        # a roster with a bad row: the row is named and nothing is imported
        bad = roster(tmp_path / "bad.xlsx", [["N001", "赵新人", "县财政局", "一般干事", "B001", "13800000001"],
                                             ["N002", "钱新人", "县财政局", "一般干事", "B001", "12345"]])
        browser.find_element(By.ID, "roster-file").send_keys(bad)
        c.click("#upload-form button[type=submit]")
        c.see("未导入任何数据")
        errors = browser.find_element(By.ID, "roster-errors").text
        assert "第 3 行" in errors and "手机号" in errors and "应为 11 位手机号码" in errors
        with db.session() as s:
            assert s.query(Person).filter(Person.staff_no.in_(["N001", "N002"])).count() == 0
        # fixed: checked, previewed, imported, with the change list
        c.click(".card a.button.primary")
        good = roster(tmp_path / "good.xlsx", [["N001", "赵新人", "县财政局", "一般干事", "B001", "13800000001"],
                                              ["N002", "钱新人", "县财政局", "一般干事", "B001", "13800000002"]])
        browser.find_element(By.ID, "roster-file").send_keys(good)
        c.click("#upload-form button[type=submit]")
        c.see("检查通过")
        assert "新增 2 人" in browser.find_element(By.ID, "roster-preview").text
        c.click("#roster-import")
        c.see("花名册已导入")
        assert "钱新人" in browser.find_element(By.ID, "roster-changes").text

        # open this quarter
        c.nav("季度考核")
        c.click("#open-cycle")
        c.see("已开启本季度考核")
        assert "北京时间" in browser.find_element(By.ID, "deadlines").text
        cycle_id = int(browser.current_url.split("/cycles/")[1].split("?")[0])

        # indicators: the unit-wide set, checked while typing
        c.go(f"/console/unit/cycles/{cycle_id}/indicators")
        form = browser.find_element(By.CSS_SELECTOR, "#set-1 form.indicator-form")
        points = form.find_elements(By.NAME, "points")
        first, second = float(points[0].get_attribute("value")), float(points[1].get_attribute("value"))
        c.type(points[0], f"{first + 1:g}")
        c.wait(lambda d: "现为 61 分" in form.find_element(By.CLASS_NAME, "check").text, "the weights refusal")
        c.type(points[1], f"{second - 1:g}")
        c.wait(lambda d: "符合要求" in form.find_element(By.CLASS_NAME, "check").text, "the weights confirmation")
        form.find_element(By.CSS_SELECTOR, "button.primary").click()
        c.see("指标已保存")

        # bind codes for the two newcomers, as a printable sheet
        c.nav("微信绑定码")
        assert "赵新人" in c.text() and "钱新人" in c.text() and "王干事1" not in c.text()
        c.click("#issue-codes")
        c.see("已生成 2 个绑定码")
        slips = browser.find_elements(By.CSS_SELECTOR, ".bind-slip")
        assert len(slips) == 2 and "绑定 " in slips[0].text

        # advance: scoring, then the decision step (refused while scores are missing)
        c.go(f"/console/unit/cycles/{cycle_id}")
        c.click("#advance", confirm=True)
        c.see("如确需提前，请填写原因")  # before the summary deadline with summaries missing: refused, naming who
        c.type(browser.find_element(By.CSS_SELECTOR, 'textarea[name="reason"]'), "县里统一安排提前评鉴")
        c.click("#advance", confirm=True)
        c.see("已进入下一阶段")
        c.click("#advance", confirm=True)
        c.see("评鉴未提交")
        _score_everyone(db, cycle_id)
        c.click("#advance", confirm=True)
        c.see("已进入下一阶段")

        # the committee: the meeting, then grades for everyone at once; over quota is refused
        c.go(f"/console/unit/cycles/{cycle_id}/decide")
        c.type(browser.find_element(By.ID, "attendees"), "党组全体成员")
        c.click("#meeting-form button")
        c.see("会议记录已保存")
        clerks = browser.find_elements(By.CSS_SELECTOR, '[data-tier="一般干事"] select')
        quota = good_quota(len(clerks), policy)
        for n, select in enumerate(browser.find_elements(By.CSS_SELECTOR, "#decide-form select")):
            Select(select).select_by_visible_text("较好")
        for select in clerks[:quota + 1]:
            Select(select).select_by_visible_text(policy.good_grade)
        c.click("#save-grades")
        c.see("请调整后再提交")
        assert "一般干事" in browser.find_element(By.ID, "page-error").text
        clerks = browser.find_elements(By.CSS_SELECTOR, '[data-tier="一般干事"] select')
        Select(clerks[quota]).select_by_visible_text("较好")
        c.click("#save-grades")
        c.see("等次已保存")
        assert browser.find_element(By.ID, "undecided").text == "0"

        # publish, and once the publicity period is over, file the 结果一览表
        c.click("#publish", confirm=True)
        c.see("已开始公示")
        with db.session() as s:
            s.get(Cycle, cycle_id).publicity_ends = utcnow() - timedelta(minutes=1)
        c.go(f"/console/unit/cycles/{cycle_id}/decide")
        c.click("#file-results")
        c.see("结果一览表已报送县公务员办备案")
        with db.session() as s:
            filing = s.query(Filing).filter_by(kind="results", unit_id=unit_hr["unit"]).one()
            assert filing.state == "submitted" and filing.submitted_by == "person:H001"
    except BaseException:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        raise
