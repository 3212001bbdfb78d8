"""Every page a user can reach by clicking reads in Chinese: the county office's console, unit HR's console and the
phone pages of each role are crawled link by link (as a user would click through them) and their visible text holds
no stored code (``filing.return``, ``admin_account``, ``None``, ``true``), English word or server error. The words
that are data, not wording (file types, a username, the WeCom webhook address example), are listed."""
from __future__ import annotations

import html
import re
from collections import Counter

from .conftest import sign_in
from .county_world import county_client, decide, draw_spot_check, file_results, write_summaries
from .test_console_unit import hr  # noqa: F401 (the fixture)

CODE = re.compile(r"(?<![A-Za-z0-9_/.:@-])([a-z]+(?:[_.][a-z0-9]+)+|[a-z]{3,}|True|False|None)(?![A-Za-z0-9_/.-])")
#: Words on these pages that are data: file types offered or uploaded, the test's console username, the WeCom
#: group robot's webhook address (…/webhook/send?key=…) shown as an example.
DATA = {"xlsx", "docx", "pdf", "png", "jpg", "jpeg", "county", "http", "https", "webhook", "key"}
SKIP = ("logout", "download", "export", "/file", "chart")  # files and leaving, not pages


def visible(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def codes_on(text: str) -> list[str]:
    return [t for t in CODE.findall(text) if t not in DATA]


def crawl(client, start: str, limit: int = 250) -> tuple[set[str], Counter]:
    """Follow every same-site page link from ``start``; (pages seen, Counter of (path, code) found)."""
    seen, queue, found = set(), [start], Counter()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code)
        if r.status_code != 200 or "text/html" not in r.headers.get("Content-Type", ""):
            continue
        page = r.get_data(as_text=True)
        found.update((path, t) for t in codes_on(visible(page)))
        queue += [link for link in map(html.unescape, re.findall(r'href="(/console[^"#]*|/m/[^"#]*)"', page))
                  if link not in seen and not any(s in link for s in SKIP)]
    return seen, found


def test_the_detector_sees_codes_and_lets_words_and_data_pass():
    assert codes_on("状态filing.return 对象evaluation 12 值None") == ["filing.return", "evaluation", "None"]
    assert codes_on("状态：已退回 2026-10-12 16:05 张三（K001） 结果一览表.xlsx") == []


def test_the_consoles_read_in_chinese(web_app, console_accounts, world, session, policy, hr):  # noqa: F811
    write_summaries(session, world["a"].cycle_id, world["a"].people)
    decide(session, policy, world["a"].cycle_id)
    file_results(session, policy, world["a"])
    county, csrf = county_client(web_app, console_accounts)
    draw_spot_check(county, csrf, people=2, seed=7)
    county.post("/console/county/notices", data={"csrf_token": csrf, "title": "通知", "body": "正文", "audience": "all"})
    pages, found = crawl(county, "/console")
    assert len(pages) > 60 and found == Counter()
    pages, found = crawl(hr, "/console")
    assert len(pages) > 15 and found == Counter()


def test_the_phone_pages_read_in_chinese_for_every_role(web_app, world, session, policy, fake_wechat):
    write_summaries(session, world["a"].cycle_id, world["a"].people)
    for step in ("open", "filed"):
        if step == "filed":
            decide(session, policy, world["a"].cycle_id)
            file_results(session, policy, world["a"])
        for who, openid in world["a"].openids.items():  # the head who scores, unit HR, three clerks
            client = web_app.test_client()
            sign_in(client, fake_wechat, openid, "/m/me")
            pages, found = crawl(client, "/m/me")
            assert len(pages) >= 5 and found == Counter(), (step, who)
