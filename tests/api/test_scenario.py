"""One unit through all five steps, through the HTTP API alone (people and their WeChat logins are the setup)."""
from datetime import timedelta

from models import AuditEntry, Cycle, utcnow

from .conftest import year_quarter

V1 = "/api/v1"


def etag(r):
    return r.headers["ETag"]


def test_five_steps_end_to_end(api, callers, world, session):
    hr, boss, county, clerks = callers["hr"], callers["boss"], callers["county"], callers["clerks"]
    year, quarter = year_quarter()

    # ---- 1. indicators: unit HR opens the quarter and sets the post-specific indicators --------------------------
    r = hr.post(f"{V1}/units/{world.unit.id}/cycles", json={"year": year, "quarter": quarter})
    assert r.status_code == 201, r.json
    cycle_id = r.json["id"]
    assert r.json["state"] == "open"
    assert r.json["attention"] == ["不参加本单位平时考核 1 人（单位领导班子成员由县委组织部考核，不参加本单位平时考核）："
                                   f"张局长（{world.people['boss'].staff_no}）"]
    r = hr.get(f"{V1}/cycles/{cycle_id}/indicators")
    default = next(t for t in r.json["templates"] if t["post"] == "")
    assert default["total"] == 100 and len(default["indicators"]) == 10
    bad = [{"dimension": "绩", "name": f"岗位任务{i}", "points": 10} for i in range(5)]  # 50, not 60
    r = hr.put(f"{V1}/cycles/{cycle_id}/indicators/综合文秘", json={"indicators": bad})
    assert r.status_code == 422 and r.json["code"] == "template_weights" and "60" in r.json["message"]
    good = [{"dimension": "绩", "name": f"文秘任务{i}", "points": p} for i, p in enumerate([20, 10, 10, 10, 10])]
    r = hr.put(f"{V1}/cycles/{cycle_id}/indicators/综合文秘", json={"indicators": good})
    assert r.status_code == 200
    post_tpl = r.json["templates"][0]
    assert post_tpl["post"] == "综合文秘" and post_tpl["total"] == 100
    assert [i["name"] for i in post_tpl["indicators"]][5:] == [g["name"] for g in good]

    # ---- 2. summaries: every clerk writes (autosave with If-Match) and submits ------------------------------------
    for n, c in enumerate(clerks):
        r = c.get(f"{V1}/me/summary")
        assert r.status_code == 200 and r.json["state"] == "draft"
        r = c.put(f"{V1}/me/summary", json={"paragraphs": [f"第{n}位干事本季度完成预算编制。"]},
                  headers={"If-Match": etag(r)})
        assert r.status_code == 200 and r.json["paragraphs"] == [f"第{n}位干事本季度完成预算编制。"]
        key = {"Idempotency-Key": f"submit-summary-{n}-abcdef"}
        first = c.post(f"{V1}/me/summary/submit", headers={"If-Match": etag(r), **key})
        assert first.status_code == 200 and first.json["state"] == "submitted"
        replay = c.post(f"{V1}/me/summary/submit", headers={"If-Match": etag(r), **key})
        assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json == first.json
    submits = session.query(AuditEntry).filter_by(action="summary.submit").count()
    assert submits == 5  # the replays did not submit again

    # the supervisor returns one summary; the clerk revises and resubmits
    summary_id = clerks[0].get(f"{V1}/me/summary").json["id"]
    r = boss.post(f"{V1}/summaries/{summary_id}/return", json={"reason": "请补充具体工作数据"})
    assert r.status_code == 200 and r.json["state"] == "returned"
    r = clerks[0].get(f"{V1}/me/summary")
    assert r.json["returned_reason"] == "请补充具体工作数据" and r.json["editable"]
    r = clerks[0].put(f"{V1}/me/summary", json={"paragraphs": ["完成预算编制 12 项，审核报账 300 笔。"]},
                      headers={"If-Match": etag(r)})
    assert clerks[0].post(f"{V1}/me/summary/submit", headers={"If-Match": etag(r)}).json["state"] == "submitted"

    # ---- 3. scoring ------------------------------------------------------------------------------------------------
    r = hr.post(f"{V1}/cycles/{cycle_id}/advance", json={"action": "start_scoring"})
    assert r.status_code == 409 and r.json["code"] == "summary_step_unfinished"  # before the deadline, people missing
    assert "赵副局长、李人事" in r.json["message"] and r.json["details"]["names"] == ["赵副局长", "李人事"]
    r = hr.post(f"{V1}/cycles/{cycle_id}/advance", json={"action": "start_scoring", "reason": "县里要求提前完成"})
    assert r.status_code == 200 and r.json["state"] == "scoring"
    r = boss.get(f"{V1}/scoring?per_page=3")
    assert r.status_code == 200 and r.json["total"] == 7 and len(r.json["items"]) == 3  # deputy, 5 clerks, hr
    assert len(boss.get(f"{V1}/scoring?per_page=3&page=3").json["items"]) == 1
    # the unit head (a 班子成员) is evaluated by the county under hengyang: not in the unit's cycle at all
    overview = hr.get(f"{V1}/cycles/{cycle_id}/decision").json
    assert world.people["boss"].staff_no not in {p["staff_no"] for t in overview["tiers"] for p in t["people"]}
    everyone = [(boss, i) for i in boss.get(f"{V1}/scoring?per_page=100").json["items"]]
    levels = {c.person.staff_no: lv for c, lv in zip(clerks, ["优", "优", "优", "良", "中"])}
    for scorer, item in everyone:
        detail = scorer.get(f"{V1}/evaluations/{item['evaluation_id']}")
        assert detail.status_code == 200 and detail.json["can_score"]
        if item["staff_no"] in levels:
            assert detail.json["summary_paragraphs"]  # the supervisor reads the summary beside the scores
        else:  # no summary submitted: scoring needs the supervisor's recorded reason (the policy allows it)
            r = scorer.put(f"{V1}/evaluations/{item['evaluation_id']}/scores",
                           json={"scores": [{"indicator_id": detail.json["indicators"][0]["id"], "points": 8}]},
                           headers={"If-Match": etag(detail)})
            assert r.status_code == 409 and r.json["code"] == "summary_missing" and "不定等次" in r.json["message"]
            r = scorer.post(f"{V1}/evaluations/{item['evaluation_id']}/without-summary",
                            json={"action": "score", "reason": "长期驻村，书面小结改为口头汇报"})
            assert r.status_code == 200
            detail = scorer.get(f"{V1}/evaluations/{item['evaluation_id']}")
        ids = [i["id"] for i in detail.json["indicators"]]
        level = levels.get(item["staff_no"], "良")
        # first tap: one indicator by points, then the rest by quick level in one call
        r = scorer.put(f"{V1}/evaluations/{item['evaluation_id']}/scores",
                       json={"scores": [{"indicator_id": ids[0], "points": 8}]}, headers={"If-Match": etag(detail)})
        assert r.status_code == 200 and r.json["total"] == 8 and not r.json["complete"]
        r = scorer.put(f"{V1}/evaluations/{item['evaluation_id']}/scores",
                       json={"scores": [{"indicator_id": i, "level": level} for i in ids[1:]]},
                       headers={"If-Match": etag(r)})
        assert r.status_code == 200 and r.json["complete"], r.json
        r = scorer.post(f"{V1}/evaluations/{item['evaluation_id']}/submit", headers={"If-Match": etag(r)})
        assert r.status_code == 200 and r.json["state"] == "submitted"
    top = next(i for _, i in everyone if i["staff_no"] == clerks[0].person.staff_no)
    r = boss.get(f"{V1}/evaluations/{top['evaluation_id']}")
    assert r.json["result"]["total"] == 100 and r.json["result"]["suggested_grade"] == "好"
    # reopen while still scoring, adjust, resubmit
    r = boss.post(f"{V1}/evaluations/{top['evaluation_id']}/reopen")
    assert r.status_code == 200 and r.json["state"] == "scoring"
    first_id = boss.get(f"{V1}/evaluations/{top['evaluation_id']}").json["indicators"][0]["id"]
    r = boss.put(f"{V1}/evaluations/{top['evaluation_id']}/scores",
                 json={"scores": [{"indicator_id": first_id, "points": 7.5}]}, headers={"If-Match": etag(r)})
    assert r.json["total"] == 99.5
    assert boss.post(f"{V1}/evaluations/{top['evaluation_id']}/submit",
                     headers={"If-Match": etag(r)}).status_code == 200

    # ---- 4. decision -----------------------------------------------------------------------------------------------
    assert hr.post(f"{V1}/cycles/{cycle_id}/advance", json={"action": "start_deciding"}).json["state"] == "deciding"
    r = hr.get(f"{V1}/cycles/{cycle_id}/decision")
    tiers = {t["tier"]: t for t in r.json["tiers"]}
    assert tiers["一般干事"]["size"] == 6 and tiers["一般干事"]["quota"] == 2 and tiers["一般干事"]["remaining"] == 2
    r = hr.post(f"{V1}/cycles/{cycle_id}/decision/grades", json={"grades": [{"evaluation_id": top["evaluation_id"],
                                                                             "grade": "好"}]})
    assert r.status_code == 409 and r.json["code"] == "meeting_required"
    r = hr.put(f"{V1}/cycles/{cycle_id}/decision/meeting",
               json={"meeting_on": utcnow().date().isoformat(), "attendees": "张局长、赵副局长", "note": "第3次党组会"})
    assert r.status_code == 200 and r.json["meeting"]["attendees"] == "张局长、赵副局长"
    people = {p["staff_no"]: p["evaluation_id"] for t in r.json["tiers"] for p in t["people"]}
    three_good = [{"evaluation_id": people[c.person.staff_no], "grade": "好"} for c in clerks[:3]]
    r = hr.post(f"{V1}/cycles/{cycle_id}/decision/grades", json={"grades": three_good})
    assert r.status_code == 409 and r.json["code"] == "quota_exceeded"
    assert "一般干事" in r.json["message"] and r.json["details"] == {"tiers": [
        {"tier": "一般干事", "members": ["一般干事"], "size": 6, "quota": 2, "proposed": 3, "over": 1}]}
    grades = [{"evaluation_id": eid, "grade": "较好"} for eid in people.values()]
    for g in grades:
        if g["evaluation_id"] == people[clerks[0].person.staff_no]:
            g["grade"] = "好"
    r = hr.post(f"{V1}/cycles/{cycle_id}/decision/grades", json={"grades": grades})
    assert r.status_code == 200 and r.json["undecided"] == 0
    assert {t["tier"]: t["remaining"] for t in r.json["tiers"]}["一般干事"] == 1

    # ---- 5. publicity, results, filing --------------------------------------------------------------------------
    assert clerks[0].get(f"{V1}/me/results").json["items"] == []  # not visible before publicity
    r = hr.post(f"{V1}/cycles/{cycle_id}/publish")
    assert r.status_code == 200 and r.json["state"] == "publicity" and r.json["publicity_ends"]
    mine = clerks[0].get(f"{V1}/me/results").json["items"]
    assert [m["final_grade"] for m in mine] == ["好"]
    told = _results_told(session, clerks[0].person.id)
    assert len(told) == 1 and "“好”等次" in told[0] and "公示期至" in told[0]  # pushed to WeChat, not only shown
    r = hr.post(f"{V1}/cycles/{cycle_id}/filing")
    assert r.status_code == 409 and r.json["code"] == "publicity_not_over" and "公示期至" in r.json["message"]
    _end_publicity(session, cycle_id)
    r = hr.post(f"{V1}/cycles/{cycle_id}/filing")
    assert r.status_code == 201 and r.json["state"] == "submitted" and len(r.json["rows"]) == 7  # the head: county
    filing_id = r.json["id"]
    listed = county.get(f"{V1}/filings?state=submitted").json
    assert [f["id"] for f in listed["items"]] == [filing_id]
    r = county.post(f"{V1}/filings/{filing_id}/review", json={"accept": False, "reason": "会议记录缺少参会人员职务"})
    assert r.status_code == 200 and r.json["state"] == "returned" and r.json["return_reason"].startswith("会议记录")
    assert hr.get(f"{V1}/cycles/{cycle_id}").json["state"] == "deciding"
    assert clerks[0].get(f"{V1}/me/results").json["items"] == []  # withdrawn while the decision is redone
    hr.put(f"{V1}/cycles/{cycle_id}/decision/meeting",
           json={"meeting_on": utcnow().date().isoformat(), "attendees": "张局长（党组书记）、赵副局长（党组成员）"})
    assert hr.post(f"{V1}/cycles/{cycle_id}/publish").status_code == 200
    assert len(_results_told(session, clerks[0].person.id)) == 2  # a new publication is told again
    _end_publicity(session, cycle_id)
    r = hr.post(f"{V1}/cycles/{cycle_id}/filing")
    assert r.status_code == 201 and r.json["id"] == filing_id and r.json["state"] == "submitted"
    r = county.post(f"{V1}/filings/{filing_id}/review", json={"accept": True})
    assert r.json["state"] == "accepted"
    assert hr.get(f"{V1}/cycles/{cycle_id}").json["state"] == "filed"
    assert clerks[0].get(f"{V1}/me/results").json["items"][0]["final_grade"] == "好"

    # ---- progress for each role -----------------------------------------------------------------------------------
    r = hr.get(f"{V1}/cycles/{cycle_id}/progress")
    assert r.status_code == 200 and r.json["totals"]["published"] == 7 and r.json["totals"]["people"] == 7
    r = county.get(f"{V1}/progress?year={year}&quarter={quarter}")
    assert r.status_code == 200 and [p["unit"] for p in r.json["items"]] == ["县财政局"]
    status = clerks[1].get(f"{V1}/me/status").json
    assert status["final_grade"] is None or status["final_grade"] in ("好", "较好")
    actions = {a for (a,) in session.query(AuditEntry.action)}
    assert {"cycle.open", "indicators.set", "summary.return", "evaluation.score", "evaluation.reopen",
            "decision.meeting", "evaluation.decide", "cycle.publish", "filing.submit", "filing.return",
            "filing.accept"} <= actions


def _results_told(session, person_id):
    """The personal WeChat messages (notices channel) telling this person a published result."""
    from models import Delivery, Notice

    session.expire_all()
    return [n.body for n in session.query(Notice).join(Delivery, Delivery.notice_id == Notice.id)
            .filter(Notice.title == "平时考核结果公示", Delivery.person_id == person_id).order_by(Notice.id)]


def _end_publicity(session, cycle_id):
    """Time passes: the publicity period is over."""
    cycle = session.get(Cycle, cycle_id)
    session.refresh(cycle)
    cycle.publicity_ends = utcnow() - timedelta(minutes=1)
    session.commit()
