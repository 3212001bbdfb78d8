import pytest

from models.rules.scoring import RuleViolation
from models.rules.states import CYCLE, EVALUATION, FILING, SUMMARY

LEGAL = [
    (CYCLE, "draft", "open", "open"),
    (CYCLE, "open", "start_scoring", "scoring"),
    (CYCLE, "scoring", "start_deciding", "deciding"),
    (CYCLE, "deciding", "publish", "publicity"),
    (CYCLE, "publicity", "file", "filed"),
    (CYCLE, "filed", "return_filing", "deciding"),
    (SUMMARY, "draft", "submit", "submitted"),
    (SUMMARY, "submitted", "withdraw", "draft"),
    (SUMMARY, "submitted", "return", "returned"),
    (SUMMARY, "returned", "submit", "submitted"),
    (SUMMARY, "submitted", "lock", "locked"),
    (EVALUATION, "pending", "score", "scoring"),
    (EVALUATION, "scoring", "submit", "submitted"),
    (EVALUATION, "submitted", "decide", "decided"),
    (EVALUATION, "decided", "publish", "published"),
    (FILING, "submitted", "return", "returned"),
    (FILING, "returned", "resubmit", "submitted"),
]

ILLEGAL = [
    (CYCLE, "draft", "publish", "考核周期当前为“未开始”，不能开始结果公示（仅在党委(党组)审定时可以）"),
    (CYCLE, "open", "file", "考核周期当前为“填写小结”，不能报送结果备案（仅在结果公示时可以）"),
    (CYCLE, "filed", "open", "考核周期当前为“已备案”，不能开启填写小结（仅在未开始时可以）"),
    (SUMMARY, "locked", "submit", "平时考核登记表当前为“已锁定”，不能提交"),
    (SUMMARY, "draft", "withdraw", "平时考核登记表当前为“草稿”，不能撤回（仅在已提交时可以）"),
    (SUMMARY, "draft", "return", "不能退回修改"),
    (EVALUATION, "pending", "submit", "不能提交评鉴"),
    (EVALUATION, "published", "score", "不能评分"),
    (FILING, "accepted", "return", "不能退回"),
]


@pytest.mark.parametrize("machine, state, action, target", LEGAL)
def test_legal_transitions(machine, state, action, target):
    assert machine.next_state(state, action) == target


@pytest.mark.parametrize("machine, state, action, message", ILLEGAL)
def test_illegal_transitions_explain_themselves(machine, state, action, message):
    with pytest.raises(RuleViolation) as exc:
        machine.next_state(state, action)
    assert message in exc.value.message
    assert exc.value.code == "illegal_transition"


def test_unknown_action():
    with pytest.raises(RuleViolation, match="不支持操作"):
        CYCLE.next_state("open", "explode")


def test_every_state_is_reachable_and_labelled():
    for machine in (CYCLE, SUMMARY, EVALUATION, FILING):
        targets = {dst for _, _, dst in machine.actions.values()}
        sources = set().union(*(src for _, src, _ in machine.actions.values()))
        assert (targets | sources) <= set(machine.labels)
