"""The county office's console (县公务员办): every page through the real sign-in, as the office uses them, and the
refusals (unit HR and anonymous visitors, missing CSRF tokens), with people's text always shown as text."""
from __future__ import annotations

import pytest

from .county_world import county_client, decide, file_results, write_summaries

PAGES = ["/console/county/board", "/console/county/grades", "/console/county/anomalies", "/console/county/duplicates",
         "/console/county/filings", "/console/county/filings/status", "/console/county/spot-checks",
         "/console/county/notices", "/console/county/notices/new", "/console/county/groups",
         "/console/county/annual", "/console/county/annual/lists/promotion", "/console/county/annual/lists/honours",
         "/console/county/talks", "/console/county/accounts", "/console/county/audit"]


def test_every_county_page_renders(web_app, console_accounts, world, session, policy):
    write_summaries(session, world["a"].cycle_id, world["a"].people)
    client, _ = county_client(web_app, console_accounts)
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:2000])
        assert "style=" not in r.get_data(as_text=True), path
