"""Who a notice reaches, as the county console's notice pages show it: what a person reads (全体, 单位：…, 考评层次：…,
角色：…, 工作群：…), never the stored spec (``role:…``, ``unit:…``); a unit or group no longer found is marked
（已不存在）; a notice the system addressed to people it picked reads 系统指定的接收人. The JSON the report page polls keeps
the stored specs."""
from __future__ import annotations

import re

from models import WorkGroup
from tests import factories as f

from .county_world import county_client, draw_spot_check

SPECS = ["all", "unit:县财政局", "tier:一般干事", "role:unit_admin", "role:人事", "group:全县人事群", "unit:已撤并的局"]
READ = "全体，单位：县财政局，考评层次：一般干事，角色：单位管理员，角色：单位管理员，工作群：全县人事群，单位：已撤并的局（已不存在）"


def no_codes(page: str) -> None:
    codes = re.findall(r"\b(?:all|unit|tier|role|group):[^\s<]{0,20}", page)
    assert not codes, codes


def test_notice_pages_show_the_audience_as_people_read_it(web_app, console_accounts, world, session):
    from handlers.outbound import notices

    session.add(WorkGroup(name="全县人事群"))
    unbound = f.person(session, world["a"].unit, name="A新人", staff_no="AN1")  # no WeChat binding
    draft = notices.system_notice(session, kind="circular", dedupe_key="audience-labels", title="进度通报",
                                  body="各单位进度如下", state="draft", audience_specs=SPECS)
    reminder = notices.system_notice(session, kind="reminder", dedupe_key="audience-picked", title="提醒",
                                     body="请提交小结", person_ids=[unbound.id])
    session.commit()
    client, _ = county_client(web_app, console_accounts)
    listing = client.get("/console/county/notices").get_data(as_text=True)
    assert f"<td>{READ}</td>" in listing
    row = re.search(rf'<a href="/console/county/notices/{reminder.id}">提醒</a></td><td>([^<]*)</td>', listing)
    assert row.group(1) == "系统指定的接收人"  # the system picked the people: no specs stored
    no_codes(listing)
    page = client.get(f"/console/county/notices/{draft.id}").get_data(as_text=True)
    assert f"接收范围：{READ} · " in page
    no_codes(page)
    page = client.get(f"/console/county/notices/{reminder.id}").get_data(as_text=True)
    assert "接收范围：系统指定的接收人 · " in page
    # the one recipient has no WeChat binding: the counts say so, so that they add up to 共 1
    assert re.search(r'共 <span data-field="total">1</span>，已送达 <span data-field="sent">0</span>，.*'
                     r'未绑定微信 <span data-field="unbound">1</span>', page, re.S)
    polled = client.get(f"/console/api/county/notices/{draft.id}/report").get_json()
    assert polled["audience"] == SPECS  # the JSON keeps what is stored


def test_labels_in_one_query(session, world):
    from sqlalchemy import event

    from handlers.outbound import audience

    session.add(WorkGroup(name="全县人事群"))
    session.commit()
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        got = audience.labels(session, SPECS + ["role:县公务员办", "nonsense"])
        assert len(statements) == 1
        statements.clear()
        assert audience.labels(session, ["all", "role:staff"]) == {"all": "全体", "role:staff": "角色：公务员"}
        assert statements == []  # nothing to look up: no query
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)
    assert "，".join(got[s] for s in SPECS) == READ
    assert got["role:县公务员办"] == "角色：县公务员办" and got["nonsense"] == "nonsense"
    assert audience.label_lists(session, [["all"], [], None]) == [["全体"], ["系统指定的接收人"], ["系统指定的接收人"]]


def test_a_spot_check_circular_can_go_to_a_tier(web_app, console_accounts, world, session):
    client, csrf = county_client(web_app, console_accounts)
    check = draw_spot_check(client, csrf, people=1, seed=7)
    page = client.get(check).get_data(as_text=True)
    tiers = re.search(r'<select name="tier">(.*?)</select>', page, re.S).group(1)
    assert sorted(re.findall(r"<option[^>]*>([^<]+)</option>", tiers)) == sorted(["一般干事", "中层干部"])  # not empty
    r = client.post(f"{check}/circular", data={"csrf_token": csrf, "audience": "tier", "tier": "一般干事"})
    assert r.status_code == 302
    assert "接收范围：考评层次：一般干事 · " in client.get(r.headers["Location"]).get_data(as_text=True)
