"""The county office's 操作日志 reads in Chinese: what was done (退回备案, 发布通知), to what (备案 #3), and what
changed (状态：已报送 → 已退回), times in Beijing time; the stored codes stay in the log and its filter."""
from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .county_world import county_client, decide, file_results


def rows(page: str) -> list[tuple[str, str, str, list[str]]]:
    """(action code, 操作, 对象, the 变更 lines) of each row of the log's table."""
    out = []
    for code, action, target, cell in re.findall(
            r'<td class="words" title="([^"]*)">([^<]*)</td><td class="words">([^<]*)</td>\s*<td>(.*?)</td></tr>',
            page, re.S):
        out.append((code, action, target, [html.unescape(line) for line in re.findall(r"<div>([^<]*)</div>", cell)]))
    return out


def visible(page: str) -> str:
    """The words a reader sees: the table, without its tags and attributes (the filter's option values are codes)."""
    table = page[page.index('<table class="grid" id="audit">'):page.index("</table>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", table))


def test_a_returned_filing_and_a_cancelled_notice_read_in_chinese(web_app, console_accounts, world, session, policy):
    decide(session, policy, world["a"].cycle_id)
    filing_id = file_results(session, policy, world["a"])
    client, csrf = county_client(web_app, console_accounts)
    assert client.post(f"/console/county/filings/{filing_id}/review",
                       data={"csrf_token": csrf, "action": "return", "reason": "第二层次等次超过名额"}).status_code == 302
    later = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).replace(second=0, microsecond=0)
    r = client.post("/console/county/notices", data={"csrf_token": csrf, "title": "定时通知", "body": "正文",
                                                      "audience": "unit", "unit": "县财政局",
                                                      "send_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert client.post(f"{r.headers['Location'].split('?')[0]}/cancel", data={"csrf_token": csrf}).status_code == 302

    page = client.get("/console/county/audit?action=filing").get_data(as_text=True)
    returned = [r for r in rows(page) if r[0] == "filing.return"]
    assert returned == [("filing.return", "退回", f"备案 #{filing_id}",
                         ["状态：已报送 → 已退回", "原因：第二层次等次超过名额"])]
    submitted = [r for r in rows(page) if r[0] == "filing.submit"]
    assert submitted and submitted[0][1:3] == ("报送备案", f"备案 #{filing_id}")

    page = client.get("/console/county/audit?action=notice").get_data(as_text=True)
    by_code = {r[0]: r for r in rows(page)}
    created = by_code["notice.create"]
    assert created[1] == "发布通知"
    assert "接收范围：单位：县财政局" in created[3] and f"发送时间：{later:%Y-%m-%d %H:%M}" in created[3]
    assert by_code["notice.cancel"][1:] == ("撤回通知", created[2], ["状态：待发送 → 已撤回", "停发条数：0"])

    page = client.get("/console/county/audit?action=cycle.create").get_data(as_text=True)
    units = [line for r in rows(page) for line in r[3] if line.startswith("单位：")]
    assert "单位：县财政局" in units and not any(u.removeprefix("单位：").isdigit() for u in units)  # ids, named
    assert any(re.fullmatch(r"季度考核 县财政局 \d{4}年第\d季度", r[2]) for r in rows(page))

    for action in ("", "cycle", "filing", "notice"):
        text = visible(client.get(f"/console/county/audit?action={action}").get_data(as_text=True))
        assert not re.search(r"\b[a-z_]+\.[a-z_]+\b", text), text  # no action codes
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no stored UTC moments
        assert "{" not in text and "person:" not in text and "system:" not in text


def test_the_filter_offers_actions_by_their_words_and_keeps_a_typed_code(web_app, console_accounts, world):
    client, _ = county_client(web_app, console_accounts)
    page = client.get("/console/county/audit").get_data(as_text=True)
    assert '<optgroup label="备案">' in page and '<option value="filing.return">退回</option>' in page
    assert '<option value="filing">备案：全部</option>' in page
    page = client.get("/console/county/audit?action=filing.return").get_data(as_text=True)
    assert '<option value="filing.return" selected>退回</option>' in page
    page = client.get("/console/county/audit?action=test.names").get_data(as_text=True)
    assert '<option value="test.names" selected>test.names</option>' in page  # a code with no words stays chosen
