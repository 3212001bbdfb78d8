"""公示 is counted in working days; a year the calendar does not know stops publication with a clear error."""
from dataclasses import replace

import pytest
from sqlalchemy import update

from handlers.quarter import publishing
from handlers.errors import InvalidInput
from models import Evaluation, utcnow
from models.rules.calendar import add_working_days, end_of_local_day, to_local

from .conftest import add_quarter


def _deciding(session, policy, county):
    p = county.people
    grades = {p["F001"]: (90, "好", None), p["F002"]: (86, "较好", None), p["F003"]: (86, "较好", None),
              p["F004"]: (80, "较好", None), p["F005"]: (None, None, policy.not_graded.probation_reason),
              p["F006"]: (84, "较好", None)}
    cycle = add_quarter(session, policy, county.units["fin"], 2026, 3, grades, state="deciding")
    session.execute(update(Evaluation).where(Evaluation.cycle_id == cycle.id).values(state="decided"))
    session.expire_all()
    return cycle


def test_publicity_ends_after_five_working_days(session, policy, county):
    cycle = _deciding(session, policy, county)
    publishing.publish(session, county.admin, policy, cycle.id)
    today = to_local(utcnow(), policy).date()
    assert cycle.publicity_ends == end_of_local_day(add_working_days(today, 5, policy), policy)
    assert (cycle.publicity_ends - utcnow()).days >= 5  # never shorter than five calendar days either


def test_a_year_the_calendar_does_not_know_stops_publication_and_names_the_year(session, policy, county):
    cycle = _deciding(session, policy, county)
    far = replace(policy, deadlines=replace(policy.deadlines, publicity_days=2500))  # ten years of working days
    with pytest.raises(InvalidInput) as caught:
        publishing.publish(session, county.admin, far, cycle.id)
    assert caught.value.code == "calendar_unknown" and "年的法定节假日和调休安排尚未知道" in caught.value.message
    assert "[calendar." in caught.value.message
    assert cycle.state == "deciding" and cycle.publicity_ends is None  # nothing moved
