"""Signed, short-lived download links and the download route."""
import time

import pytest

from handlers.results.documents import Params
from handlers.results.documents.tokens import issue_download, open_download
from handlers.errors import NotFound, Unauthorized

from .conftest import docx_structure, xlsx_structure



@pytest.fixture
def app_secret(settings):
    return settings.secret_key


def _issue(session, actor, policy, secret, name, clock=None, **params):
    return issue_download(session, actor, policy, secret, name, Params(**params), clock=clock)


def test_unit_hr_downloads_its_result_list(app, client, db, policy, session, county, app_secret):
    link = _issue(session, county.admin, policy, app_secret, "results", unit="县财政局", year=2026, quarter=1)
    session.commit()
    assert link["expires_in"] == policy.results.download_token_minutes * 60 and link["document"] == "结果一览表"
    r = client.get(link["url"])
    assert r.status_code == 200, r.get_json()
    assert r.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''%E7%BB%93%E6%9E%9C" in r.headers["Content-Disposition"]
    rows = xlsx_structure(r.data)["结果一览表"]
    assert rows[0][0] == "县财政局2026年第1季度公务员平时考核结果一览表"
    assert int(r.headers["Content-Length"]) == len(r.data)


def test_person_form_and_county_table_download(app, client, policy, session, county, app_secret):
    link = _issue(session, county.county_admin, policy, app_secret, "registration", person="F003", year=2026,
                  quarter=1)
    big = _issue(session, county.county_admin, policy, app_secret, "county-results", year=2026, quarter=1)
    session.commit()
    form = client.get(link["url"])
    assert form.status_code == 200 and docx_structure(form.data)["tables"][0][0] == ["姓名", "王芳", "人员编号",
                                                                                      "F003"]
    table = client.get(big["url"])
    assert table.status_code == 200 and len(xlsx_structure(table.data)["全县结果汇总"]) == 2 + 10


def test_an_expired_link_is_refused_in_chinese(app, client, policy, session, county, app_secret):
    old = time.time() - policy.results.download_token_minutes * 60 - 5
    link = _issue(session, county.admin, policy, app_secret, "results", clock=lambda: old, unit="县财政局",
                  year=2026, quarter=1)
    session.commit()
    r = client.get(link["url"])
    assert r.status_code == 401
    assert r.get_json() == {"code": "token_expired", "message": "下载链接已过期，请重新生成"}


@pytest.mark.parametrize("forge", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "x" + t,  # payload changed
    lambda t: "not-a-token",
])
def test_a_forged_link_is_refused(app, client, policy, session, county, app_secret, forge):
    link = _issue(session, county.admin, policy, app_secret, "results", unit="县财政局", year=2026, quarter=1)
    session.commit()
    r = client.get("/api/v1/downloads/" + forge(link["token"]))
    assert r.status_code == 401 and r.get_json() == {"code": "token_invalid", "message": "下载链接无效"}


def test_a_token_signed_with_another_key_is_invalid(session, policy, county, app_secret):
    link = _issue(session, county.admin, policy, "another-secret-key-0123456789abcdef", "results",
                  unit="县财政局", year=2026, quarter=1)
    with pytest.raises(Unauthorized, match="下载链接无效"):
        open_download(session, policy, app_secret, link["token"])


def test_no_link_is_issued_outside_the_actors_scope(session, policy, county, app_secret):
    with pytest.raises(NotFound):
        _issue(session, county.admin, policy, app_secret, "results", unit="县教育局", year=2026, quarter=1)
    from handlers.errors import Forbidden

    with pytest.raises(Forbidden):
        _issue(session, county.admin, policy, app_secret, "county-results", year=2026, quarter=1)


def test_scope_is_checked_again_at_download(app, client, policy, session, county, app_secret):
    """Unit HR who loses the role after the link was issued cannot use it."""
    from models import RoleGrant

    link = _issue(session, county.admin, policy, app_secret, "results", unit="县财政局", year=2026, quarter=1)
    session.query(RoleGrant).filter_by(person_id=county.admin.person_id, role="unit_admin").delete()
    session.commit()
    r = client.get(link["url"])
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"


def test_round_trip_carries_document_and_params(session, policy, county, app_secret):
    link = _issue(session, county.county_admin, policy, app_secret, "candidates", year=2026, kind="training",
                  tier="一般干事")
    actor, name, params = open_download(session, policy, app_secret, link["token"])
    assert (actor.ref, name, params) == ("person:E004", "candidates",
                                         Params(year=2026, kind="training", tier="一般干事"))
