"""Cheap hostile input answers a clear 4xx with a Chinese message, never a 500 (issue 14 item 6)."""
import pytest
from sqlalchemy import select

from models import AuditEntry

V1 = "/api/v1"
NUL = "a\u0000b"

# (who, method, path, JSON body) — every text input the fault run found answering 500 with a NUL byte
NUL_CASES = [
    ("county", "post", "/notices", {"title": NUL, "body": "正文", "to": ["all"]}),
    ("county", "post", "/notices", {"title": "标题", "body": NUL, "to": ["all"]}),
    ("clerk", "put", "/me/summary", {"paragraphs": ["正常一段", NUL]}),
    ("county", "post", "/county/spot-checks/1/findings", {"unit": "县财政局", "text": NUL}),
    ("hr", "post", "/annual/talks", {"staff_no": "T00001", "year": 2026, "quarter": 1, "held_on": "2026-04-01",
                                     "note": NUL}),
    ("hr", "post", "/units/{unit}/bind-codes", {"staff_no": NUL}),
    ("hr", "post", "/dual-filings", {"kind": "annual_plan", "unit": NUL, "year": 2026}),
    ("hr", "get", "/annual/honours?year=2026&unit=%00县财政局", None),
    ("hr", "post", "/people/A%00B/end-sessions", {"reason": "离职"}),
    (None, "post", "/auth/admin-login", {"username": NUL, "password": "x"}),
]


def _call(client, callers, who, method, path, body, world):
    path = V1 + path.format(unit=world.unit.id)
    caller = callers[who] if who else client
    kw = {"json": body} if body is not None else {}
    if method == "put":  # the summary needs its version; NUL must be refused before that matters
        kw["headers"] = {"If-Match": "1"}
    return getattr(caller, method)(path, **kw)


@pytest.mark.parametrize("who, method, path, body", NUL_CASES)
def test_a_nul_byte_in_any_text_is_a_422_in_chinese(api, callers, world, who, method, path, body):
    r = _call(api, callers, who, method, path, body, world)
    assert r.status_code == 422, (path, r.status_code, r.json)
    assert r.json["code"] == "nul_in_text" and "空字符" in r.json["message"]


def test_an_escaped_backslash_u0000_is_text_not_a_nul(callers):
    r = callers["county"].post(f"{V1}/notices", json={"title": "路径 C:\\u0000", "body": "正文", "to": ["role:单位管理员"]})
    assert r.status_code in (200, 201), r.json


@pytest.mark.parametrize("query", ["page=1000000000000000000", "page=100001", "per_page=101", "page=0", "page=x"])
def test_paging_beyond_bounds_is_a_422(callers, query):
    r = callers["county"].get(f"{V1}/notices?{query}")
    assert r.status_code == 422 and r.json["code"] == "bad_paging" and "page" in r.json["message"]


def test_a_refused_request_with_a_very_long_identifier_is_audited_and_answers_404(session, callers):
    staff_no = "Z" * 5000
    r = callers["hr"].post(f"{V1}/people/{staff_no}/end-sessions", json={"reason": "离职"})
    assert r.status_code == 404
    session.expire_all()
    row = session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied",
                                                  AuditEntry.object_id.like("ZZZZ%")))
    assert row is not None and len(row.object_id) <= 64 and row.object_id.startswith("Z" * 40)


def test_405_names_the_allowed_methods(api):
    r = api.delete(f"{V1}/ping")
    assert r.status_code == 405 and r.json["code"] == "method_not_allowed"
    assert "GET" in {m.strip() for m in r.headers["Allow"].split(",")}


@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_idempotency_key_is_refused(callers, key):
    r = callers["clerk"].post(f"{V1}/me/summary/submit", headers={"Idempotency-Key": key, "If-Match": "1"})
    assert r.status_code == 422 and r.json["code"] == "bad_idempotency_key"
