"""双备案: unit HR files the annual plan + roster and the quarter's changes; the county office reviews them."""
import pytest

from handlers.county import oversight as O
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from handlers.county.filings import review_filing, submit_filing
from models import AuditEntry


def test_file_review_return_and_refile(session, policy, county):
    plan = submit_filing(session, county.admin, policy, "annual_plan", "县财政局", 2026)
    assert plan["state"] == "submitted" and plan["quarter"] == 0
    assert plan["payload"]["people"] == 5 and "F005" not in plan["payload"]["staff_nos"]
    assert {t["tier"]: t["good_quota"] for t in plan["payload"]["tiers"]} == {"中层干部": 0, "一般干事": 1}
    changes = submit_filing(session, county.admin, policy, "changes", "县财政局", 2026, 1)
    assert changes["payload"]["count"] == 1 and changes["payload"]["changes"][0][:3] == ["F005", "钱新", "新录用/调入"]
    with pytest.raises(Conflict):
        submit_filing(session, county.admin, policy, "changes", "县财政局", 2026, 1)  # already submitted
    with pytest.raises(Forbidden):
        review_filing(session, county.admin, changes["id"], "accept")
    with pytest.raises(InvalidInput, match="退回备案需要说明原因"):
        review_filing(session, county.county_admin, changes["id"], "return")
    returned = review_filing(session, county.county_admin, changes["id"], "return", "缺少调入文件")
    assert returned["state_label"] == "已退回" and returned["return_reason"] == "缺少调入文件"
    again = submit_filing(session, county.admin, policy, "changes", "县财政局", 2026, 1)
    assert again["id"] == changes["id"] and again["state"] == "submitted" and again["return_reason"] is None
    review_filing(session, county.county_admin, plan["id"], "accept")
    with pytest.raises(Conflict):
        review_filing(session, county.county_admin, plan["id"], "accept")
    status = {u["unit"]: u for u in O.filing_status(session, county.county_admin, policy, 2026)["units"]}
    assert status["县财政局"]["annual_plan"] == "已通过"
    assert status["县财政局"]["quarters"][0]["changes"] == "已报送"
    actions = [a for (a,) in session.query(AuditEntry.action).filter(AuditEntry.object_type == "filing")
               .order_by(AuditEntry.id)]
    assert actions == ["filing.submit", "filing.submit", "filing.return", "filing.submit", "filing.accept"]


def test_only_the_units_hr_files_for_it(session, policy, county):
    with pytest.raises(NotFound):
        submit_filing(session, county.admin, policy, "annual_plan", "县教育局", 2026)
    with pytest.raises(InvalidInput):
        submit_filing(session, county.admin, policy, "results", "县财政局", 2026, 1)
    with pytest.raises(InvalidInput, match="季度"):
        submit_filing(session, county.admin, policy, "changes", "县财政局", 2026)
