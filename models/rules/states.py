"""The workflow's state machines, in one table each. Every transition in the system goes through here."""
from __future__ import annotations

from dataclasses import dataclass

from .scoring import RuleViolation


@dataclass(frozen=True)
class Machine:
    name: str  # what the user calls the object, in Chinese
    labels: dict[str, str]  # state -> Chinese
    actions: dict[str, tuple[str, frozenset[str], str]]  # action -> (Chinese, from states, to state)

    def next_state(self, current: str, action: str) -> str:
        if action not in self.actions:
            raise RuleViolation(f"{self.name}不支持操作“{action}”", "unknown_action", action=action)
        label, sources, target = self.actions[action]
        if current not in sources:
            allowed = "、".join(self.labels[s] for s in sorted(sources))
            raise RuleViolation(
                f"{self.name}当前为“{self.labels.get(current, current)}”，不能{label}（仅在{allowed}时可以）",
                "illegal_transition", state=current, action=action,
            )
        return target

    def label(self, state: str) -> str:
        return self.labels.get(state, state)

    def allowed_actions(self, current: str) -> list[str]:
        return [a for a, (_, sources, _) in self.actions.items() if current in sources]


def _m(name: str, labels: dict[str, str], actions: dict[str, tuple[str, set[str], str]]) -> Machine:
    return Machine(name, labels, {a: (lbl, frozenset(src), dst) for a, (lbl, src, dst) in actions.items()})


CYCLE = _m(
    "考核周期",
    {
        "draft": "未开始", "open": "填写小结", "scoring": "领导评鉴", "deciding": "党委(党组)审定",
        "publicity": "结果公示", "filed": "已备案",
    },
    {
        "open": ("开启填写小结", {"draft"}, "open"),
        "start_scoring": ("进入领导评鉴", {"open"}, "scoring"),
        "start_deciding": ("进入党委(党组)审定", {"scoring"}, "deciding"),
        "publish": ("开始结果公示", {"deciding"}, "publicity"),
        "file": ("报送结果备案", {"publicity"}, "filed"),
        "return_filing": ("退回备案", {"filed"}, "deciding"),
    },
)

SUMMARY = _m(
    "平时考核登记表",
    {"draft": "草稿", "submitted": "已提交", "returned": "已退回修改", "locked": "已锁定"},
    {
        "submit": ("提交", {"draft", "returned"}, "submitted"),
        "withdraw": ("撤回", {"submitted"}, "draft"),
        "return": ("退回修改", {"submitted"}, "returned"),
        "lock": ("锁定", {"draft", "submitted", "returned"}, "locked"),
    },
)

EVALUATION = _m(
    "考核评鉴表",
    {"pending": "待评鉴", "scoring": "评鉴中", "submitted": "已评鉴", "decided": "已审定", "published": "已公布"},
    {
        "score": ("评分", {"pending", "scoring"}, "scoring"),
        "submit": ("提交评鉴", {"scoring"}, "submitted"),
        "reopen": ("重新评鉴", {"submitted"}, "scoring"),
        "decide": ("审定等次", {"pending", "scoring", "submitted", "decided"}, "decided"),
        "publish": ("公布结果", {"decided"}, "published"),
        "unpublish": ("撤回公布", {"published"}, "decided"),
    },
)

FILING = _m(
    "备案",
    {"submitted": "已报送", "accepted": "已通过", "returned": "已退回"},
    {
        "accept": ("通过", {"submitted"}, "accepted"),
        "return": ("退回", {"submitted"}, "returned"),
        "resubmit": ("重新报送", {"returned"}, "submitted"),
        # 更正备案: a results filing whose grades changed after filing (an objection's regrade) is filed again
        "correct": ("更正备案", {"submitted", "accepted"}, "submitted"),
    },
)

# 异议: filed by the person (open); the unit answers within the policy's working days — upheld (维持) or changed
# through the committee (改变) —; the person accepts the answer (closed) or escalates to the county office.
# Only ``open`` is reached by the code today; the rest is the agreed path for the later steps.
OBJECTION = _m(
    "异议",
    {"open": "待单位答复", "upheld": "单位维持原等次", "changed": "已改变等次", "escalated": "已向县公务员办申诉",
     "closed": "已办结"},
    {
        "uphold": ("答复维持原等次", {"open"}, "upheld"),
        "change": ("经党委(党组)改变等次", {"open"}, "changed"),
        "accept": ("接受答复", {"upheld", "changed"}, "closed"),
        "escalate": ("向县公务员办申诉", {"upheld", "changed"}, "escalated"),
        "close": ("办结", {"escalated"}, "closed"),
    },
)
