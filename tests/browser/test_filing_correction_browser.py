"""更正备案 in a real headless Chromium at 1366×768: the unit filed its 结果一览表, an objection then changed a grade;
unit HR sees 结果已变更，需更正备案 on its filings page and files the correction from the filing's page; the county
office sees the earlier submission and accepts the corrected list. A failure leaves a screenshot and the HTML."""
from __future__ import annotations

from datetime import UTC, date, timedelta

from selenium.webdriver.common.by import By

from handlers.quarter import objections, publishing
from models import Filing

from .pages import wait
from .test_objection_console_browser import main_text, objected, sign_in  # noqa: F401  (the fixture)


def test_unit_hr_corrects_a_filing_an_objection_made_stale(browser, live_server, db, policy, objected,  # noqa: F811
                                                           tmp_path):
    browser.set_window_size(1366, 768)
    with db.session() as s:
        from models import Cycle

        hr = objected_hr(s)
        cycle = s.get(Cycle, objected["cycle"])
        after = (cycle.publicity_ends if cycle.publicity_ends.tzinfo else cycle.publicity_ends.replace(tzinfo=UTC)) \
            + timedelta(days=1)
        fid = publishing.file_results(s, hr, policy, cycle.id, now=after).id
        objections.answer(s, hr, policy, objected["objection"], "change", "党委复议，工作量认定有误", new_grade="一般",
                          meeting_on=date(2026, 10, 19), attendees="张局长、党委全体成员", now=after)
        s.commit()
    try:
        _walk(browser, live_server, db, fid)
    except BaseException:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        (tmp_path / "failure.html").write_text(browser.page_source, encoding="utf-8")
        raise


def objected_hr(session):
    from sqlalchemy import select

    from handlers.actor import actor_for_person
    from models import Person

    return actor_for_person(session, session.scalar(select(Person.id).where(Person.staff_no == "F006")))


def _walk(browser, base, db, fid):
    sign_in(browser, base, "caizheng")
    browser.get(f"{base}/console/unit/filings")
    table = wait(browser, lambda d: d.find_element(By.ID, "filings-table"), "the filings table").text
    assert "结果已变更，需更正备案" in table
    browser.get(f"{base}/console/unit/filings/{fid}")
    changed = wait(browser, lambda d: d.find_element(By.ID, "results-changed"), "the changed notice").text
    assert "王芳 较好→一般" in changed
    browser.find_element(By.ID, "correct-filing").click()
    wait(browser, lambda d: "已更正备案" in main_text(d), "the corrected message")
    with db.session() as s:
        f = s.get(Filing, fid)
        assert f.state == "submitted" and f.changed_at is None and len(f.history) == 1

    sign_in(browser, base, "county")
    browser.get(f"{base}/console/county/filings/{fid}")
    history = wait(browser, lambda d: d.find_element(By.ID, "filing-history"), "the earlier submission").text
    assert "王芳" in history and "较好" in history
    browser.find_element(By.ID, "accept").click()
    wait(browser, lambda d: "已通过" in d.find_element(By.ID, "filing-state").text, "the accepted state")
    with db.session() as s:
        assert s.get(Filing, fid).state == "accepted"
