"""What a year's quarters so far imply for the rest of the year, and who needs a talk (谈话提醒). Pure.

``annual_outcome`` says what the finished year means; ``outlook`` says, during the year, what is still
possible: "还需1次好且无一般、较差即具备评优资格".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from config.policy import Policy


@dataclass(frozen=True)
class Outlook:
    status: str  # priority | eligible | reachable | unreachable | blocked | capped | forced | no_grades
    message: str
    goods_needed: int = 0  # more 好 needed for 优秀 eligibility (0 when already eligible or out of reach)
    remaining: int = 0  # quarters still to be decided this year

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def outlook(quarter_grades: Sequence[str | None], remaining: int, policy: Policy) -> Outlook:
    """``quarter_grades``: decided grades so far (``None`` = not decided / 不定等次); ``remaining``: quarters to come."""
    rules = policy.annual
    good_grade = policy.good_grade
    excellent = rules.annual_grades[0]
    graded = [g for g in quarter_grades if g is not None]
    good = sum(1 for g in graded if g == good_grade)
    bad = sum(1 for g in graded if g in rules.capped_grades)
    blocking = [g for g in graded if g in rules.excellent_blocking_grades]
    blocking_label = "、".join(rules.excellent_blocking_grades)
    capped_label = "、".join(rules.capped_grades)

    if graded and all(g == rules.all_poor_grade for g in graded) and remaining == 0:
        return Outlook("forced", f"平时考核结果均为{rules.all_poor_grade}等次，年度考核直接确定为{rules.all_poor_forced}")
    if bad > rules.capped_more_than:
        return Outlook("capped", f"{capped_label}等次已累计 {bad} 次，年度考核应确定为{rules.capped_max_grade}或"
                                 f"{rules.all_poor_forced}", remaining=remaining)
    warn = ""
    if remaining and bad == rules.capped_more_than:
        warn = f"；再有 1 次{capped_label}等次，年度考核将只能确定为{rules.capped_max_grade}或{rules.all_poor_forced}"
    if blocking:
        return Outlook("blocked", f"已有{blocking_label}等次，本年度不具备评{excellent}资格" + warn, remaining=remaining)
    if good >= rules.excellent_priority_good:
        return Outlook("priority", f"{good_grade}等次已达 {good} 次，可优先确定为{excellent}", remaining=remaining)
    if good >= rules.excellent_min_good:
        more = rules.excellent_priority_good - good
        tail = (f"；保持无{blocking_label}等次即可；再有 {more} 次{good_grade}可优先确定为{excellent}"
                if remaining >= more else f"；保持无{blocking_label}等次即可")
        if remaining == 0:
            tail = ""
        return Outlook("eligible", f"{good_grade}等次 {good} 次，具备评{excellent}资格" + tail, remaining=remaining)
    need = rules.excellent_min_good - good
    if not graded and remaining == 0:
        return Outlook("no_grades", "本年度没有确定等次的平时考核结果")
    if need <= remaining:
        return Outlook("reachable", f"还需 {need} 次{good_grade}且无{blocking_label}即具备评{excellent}资格",
                       goods_needed=need, remaining=remaining)
    return Outlook("unreachable", f"剩余季度不足，本年度{good_grade}等次达不到 {rules.excellent_min_good} 次，"
                                  f"不具备评{excellent}资格", remaining=remaining)


def talk_reason(previous: str | None, current: str | None, policy: Policy) -> str | None:
    """Why this quarter's grade calls for a talk (谈话提醒), or ``None``. ``previous``: the quarter before."""
    if current is None:
        return None
    if current in policy.results.talk_grades:
        return f"本季度平时考核等次为{current}"
    if previous is not None and policy.grades.index(current) > policy.grades.index(previous):
        return f"等次由{previous}降为{current}"
    return None
