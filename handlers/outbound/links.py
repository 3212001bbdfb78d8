"""Absolute links to the phone pages, for pushes and chat replies (``KAOHE_PUBLIC_URL`` + a page path).

A link is a plain page address: a page opened without a session redirects through WeChat's web authorization
and comes back, so a push never needs to carry a login.
"""
from __future__ import annotations

NOTICE = "/m/notices/{notice_id}"
MY = "/m/me"
ANNUAL = "/m/annual"  # the person's annual grade and its 复核
SUMMARY = "/m/summary"
QUEUE = "/m/score"
DECIDE = "/m/decide"


def page_url(public_url: str, path: str) -> str:
    return public_url.rstrip("/") + path


def notice_url(public_url: str, notice_id: int) -> str:
    """The full text of a notice, reminder or personal message (pushes are cut to WeChat's field limits)."""
    return page_url(public_url, NOTICE.format(notice_id=notice_id))
