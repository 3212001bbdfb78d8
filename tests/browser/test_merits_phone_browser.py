"""加扣分与问责 on the phone pages at 375×667 in headless Chromium: the supervisor's score sheet lists the applied
items in the total; the committee page shows the item and its period beside the person and 好 cannot be tapped;
neither page scrolls sideways."""
from __future__ import annotations

from datetime import date

from selenium.webdriver.common.by import By

from handlers.quarter import merits
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import transition
from models import Cycle, Evaluation
from tests import factories as f

from .test_phone_pages_browser import (  # noqa: F401
    no_horizontal_scroll,
    phone,
    phone_server,
    sign_in_as,
    units,
)


def test_the_score_sheet_and_the_committee_page_show_the_items(browser, phone_server, fake_wechat, units, db, policy):  # noqa: F811
    a = units
    today = date.today()
    with db.session() as s:
        hr = actor_for_person(s, a.people["hr"].id)
        office = f.person(s, f.unit(s, "县委组织部", tiers=("一般干事",)), roles=("county_admin",))
        county = actor_for_person(s, office.id)
        for key, code in (("c1", "W01"), ("c2", "J02")):
            ev = merits.record(s, hr, policy, a.people[key].staff_no, code, today, "",
                               merits.Upload("a.pdf", b"%PDF-1.4 x"), today)
            merits.review(s, county, policy, ev["id"], True)
        cycle = s.get(Cycle, a.cycle_id)
        f.excuse_missing_summaries(s, cycle)
        transition(s, system_actor(), cycle, "start_scoring", policy=policy)
        e2 = s.query(Evaluation).filter_by(cycle_id=a.cycle_id, person_id=a.people["c2"].id).one().id
    phone(browser)
    sign_in_as(browser, phone_server, fake_wechat, a.openids["boss"], "A局长", f"/m/score/{e2}")
    sheet = browser.find_element(By.ID, "merits").text
    assert "加扣分（已计入合计）" in sheet and "受到市级以上表彰奖励" in sheet and "+2 分" in sheet
    assert no_horizontal_scroll(browser)

    with db.session() as s:
        transition(s, system_actor(), s.get(Cycle, a.cycle_id), "start_deciding", policy=policy)
        e1 = s.query(Evaluation).filter_by(cycle_id=a.cycle_id, person_id=a.people["c1"].id).one().id
    browser.delete_all_cookies()
    sign_in_as(browser, phone_server, fake_wechat, a.openids["hr"], "A人事", f"/m/decide/{a.cycle_id}")
    row = browser.find_element(By.ID, f"e{e1}")
    assert "受到诫勉" in row.text and "影响期内不得评为好" in row.text
    good = row.find_element(By.CSS_SELECTOR, "button[value='好']")
    assert good.get_attribute("disabled") is not None
    assert no_horizontal_scroll(browser)
