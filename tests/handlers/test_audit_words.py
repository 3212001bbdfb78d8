"""The audit log in Chinese: every action the code can write has its words, and stored values read as people read
them (Beijing time, states and codes in words, unchanged values left out)."""
from __future__ import annotations

import ast
import pathlib
import re

import pytest

from handlers.county import audit_words as words
from models.org import CHANGE_KINDS
from models.outbound import NOTICE_KINDS

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def written_actions() -> dict[str, set[str]]:
    """Every ``audit.record(…, "<action>", "<object type>", …)``, ``_GUARDED.execute(…, actor, "<action>", …)`` and
    ``summaries._store_text(…, "<action>", …)`` (the summary's text writers) with a literal action in the code that
    runs (handlers, bot, scheduler): action → object types ("" where the writer does not name one)."""
    found: dict[str, set[str]] = {}
    for folder in ("handlers", "bot", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_store_text" \
                        and len(node.args) > 5 and isinstance(node.args[5], ast.Constant):
                    found.setdefault(node.args[5].value, set()).add("summary")
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)):
                    continue
                owner, name = node.func.value.id, node.func.attr
                at = 2 if (owner, name) == ("audit", "record") else 3 if name == "execute" and owner.isupper() else None
                if at is None or len(node.args) <= at + 1:
                    continue
                action, kind = node.args[at], node.args[at + 1]
                if isinstance(action, ast.Constant) and isinstance(action.value, str):
                    found.setdefault(action.value, set()).add(kind.value if isinstance(kind, ast.Constant) else "")
    return found


def test_the_scan_finds_the_writers_it_is_meant_to_find():
    found = written_actions()
    assert {"evaluation.score", "summary.save", "admin_account.disable", "filing.submit"} <= set(found)
    assert len(found) > 50


def test_every_action_the_code_writes_has_chinese_words():
    dynamic = ({f"roster.{k}" for k in CHANGE_KINDS} | {f"{k}.create" for k in NOTICE_KINDS}
               | {f"filing.{a}" for a in ("accept", "return")} | {f"objection.{a}" for a in ("uphold", "change")})
    missing = sorted(a for a in set(written_actions()) | dynamic if not CHINESE.search(words.action_label(a)))
    assert missing == []


def test_every_object_type_the_code_writes_and_every_area_has_chinese_words():
    kinds = {k for ks in written_actions().values() for k in ks if k}
    assert sorted(k for k in kinds if not CHINESE.search(words.object_label(k))) == []
    assert sorted({a.split(".", 1)[0] for a in words.ACTIONS} - set(words.AREAS)) == []


def test_the_filter_lists_every_action_once_under_its_area():
    groups = words.action_groups()
    listed = [code for _, _, actions in groups for code, _ in actions]
    assert sorted(listed) == sorted(words.ACTIONS)
    assert ("filing", "备案") == groups[[g[0] for g in groups].index("filing")][:2]


@pytest.mark.parametrize(("key", "value", "object_type", "shown"), [
    ("answered_at", "2026-10-12T08:05:00+00:00", "", "2026-10-12 16:05"),  # a UTC moment, in Beijing time
    ("answered_at", "2026-10-12T20:05:00.123456", "", "2026-10-13 04:05"),  # stored without offset: UTC
    ("held_on", "2026-10-12", "", "2026-10-12"),  # a date stays a date
    ("disabled", True, "", "是"),
    ("late", False, "", "否"),
    ("note", None, "", "（空）"),
    ("total", 86.0, "", "86"),
    ("total", 86.5, "", "86.5"),
    ("quarters", ["好", "较好", "好"], "", "好、较好、好"),
    ("units", [], "", "（无）"),
    ("changes", [{"name": "王芳", "from": "较好", "to": "一般"}], "filing", "名称：王芳；原为：较好；改为：一般"),
    ("choice", "object", "evaluation", "有异议"),
    ("kind", "results", "filing", "结果一览表"),
    ("kind", "circular", "notice", "通报"),
    ("state", "pending", "merit_event", "待县公务员办审核"),
    ("state", "returned", "filing", "已退回"),
    ("state", "returned", "summary", "已退回修改"),
    ("state", "scoring", "cycle", "领导评鉴"),
    ("state", "scheduled", "notice", "待发送"),
    ("status", "left", "person", "调离/离职"),
    ("role", "supervisor", "person", "分管领导"),
    ("reason", "out_of_scope", "unit", "不在权限范围内"),
    ("reason", "名册缺少新录用人员", "filing", "名册缺少新录用人员"),  # a reason typed by a person stays as typed
    ("channel", "page", "", "手机页面"),
    ("not_evaluated", [{"person_id": 3, "reason": "领导班子成员"}], "cycle", "人员：3；原因：领导班子成员"),
])
def test_a_stored_value_reads_in_words(policy, key, value, object_type, shown):
    assert words.value_text(key, value, policy, object_type=object_type) == shown


def test_scores_name_their_indicators_as_the_page_looked_them_up(policy):
    assert words.ids_in({"scores": {"11": 8.5, "12": 7.0}}) == {("indicator", 11), ("indicator", 12)}
    names = {("indicator", 11): "政治品质"}
    assert words.value_text("scores", {"11": 8.5, "12": 7.0}, policy, names=names) == "政治品质 8.5 分；指标12 7 分"


def test_a_notices_audience_reads_as_the_labels_the_page_was_given(policy):
    labels = {"unit:县财政局": "单位：县财政局", "role:unit_admin": "角色：单位管理员"}
    assert words.value_text("to", ["unit:县财政局", "role:unit_admin"], policy, audiences=labels) \
        == "单位：县财政局、角色：单位管理员"


def test_changes_leave_out_what_did_not_change_and_keep_what_was_only_recorded(policy):
    before = {"state": "submitted", "name": "张三", "phone": "13800000001"}
    after = {"state": "returned", "name": "张三", "reason": "请补充"}
    assert words.changes(before, after, policy, object_type="filing") == [
        {"field": "状态", "before": "已报送", "after": "已退回"},
        {"field": "原因", "before": None, "after": "请补充"},
        {"field": "手机号", "before": "13800000001", "after": "（空）"},
    ]
    assert words.changes(None, None, policy) == []


def test_a_code_without_words_is_shown_as_stored_so_nothing_is_hidden(policy):
    assert words.action_label("test.filler") == "test.filler"
    assert words.changes(None, {"mystery": 1}, policy) == [{"field": "mystery", "before": None, "after": "1"}]


def test_ids_read_as_the_names_the_page_looked_up_and_bookkeeping_is_left_out(policy):
    after = {"unit_id": 1, "not_evaluated": [{"person_id": 3, "reason": "领导班子成员"}],
             "key": "filing-returned:1:2026-11-28T19:28:10+00:00:2", "disabled": True}
    assert words.ids_in(after) == {("unit", 1), ("person", 3)}
    names = {("unit", 1): "县财政局", ("person", 3): "张三（K003）"}
    assert words.changes(None, after, policy, names=names) == [
        {"field": "单位", "before": None, "after": "县财政局"},
        {"field": "不参加考核", "before": None, "after": "人员：张三（K003）；原因：领导班子成员"},
        {"field": "已停用", "before": None, "after": "是"},
    ]
    assert words.value_text("unit_id", 9, policy, names=names) == "9"  # an id no longer found stays as stored
