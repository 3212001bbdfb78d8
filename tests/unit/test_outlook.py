"""The live annual outlook and the talk-reminder rule, table-driven."""
import pytest

from config import load_policy
from models.rules.annual import annual_outcome
from models.rules.outlook import outlook, talk_reason

P = load_policy("hengyang")
N = None


@pytest.mark.parametrize("grades, remaining, status, message", [
    ([N, N, N, N], 4, "reachable", "还需 2 次好且无一般、较差即具备评优秀资格"),
    (["好", N, N, N], 3, "reachable", "还需 1 次好且无一般、较差即具备评优秀资格"),
    (["好", "较好", "较好", N], 1, "reachable", "还需 1 次好且无一般、较差即具备评优秀资格"),
    (["较好", "较好", "较好", N], 1, "unreachable", "剩余季度不足，本年度好等次达不到 2 次，不具备评优秀资格"),
    (["好", "好", N, N], 2, "eligible", "好等次 2 次，具备评优秀资格；保持无一般、较差等次即可；再有 2 次好可优先确定为优秀"),
    (["好", "好", "好", N], 1, "eligible", "好等次 3 次，具备评优秀资格；保持无一般、较差等次即可；再有 1 次好可优先确定为优秀"),
    (["好", "好", "较好", "较好"], 0, "eligible", "好等次 2 次，具备评优秀资格"),
    (["好", "好", "好", "好"], 0, "priority", "好等次已达 4 次，可优先确定为优秀"),
    (["好", "一般", N, N], 2, "blocked", "已有一般、较差等次，本年度不具备评优秀资格"),
    (["一般", "较差", N, N], 2, "blocked",
     "已有一般、较差等次，本年度不具备评优秀资格；再有 1 次一般、较差等次，年度考核将只能确定为基本称职或不称职"),
    (["一般", "一般", "较差", N], 1, "capped", "一般、较差等次已累计 3 次，年度考核应确定为基本称职或不称职"),
    (["较差", "较差", "较差", "较差"], 0, "forced", "平时考核结果均为较差等次，年度考核直接确定为不称职"),
    ([N, N, N, N], 0, "no_grades", "本年度没有确定等次的平时考核结果"),
])
def test_outlook(grades, remaining, status, message):
    o = outlook(grades, remaining, P)
    assert (o.status, o.message) == (status, message)


@pytest.mark.parametrize("grades", [["好", "好", "较好", "较好"], ["好", "好", "好", "好"], ["一般"] * 3 + ["好"],
                                    ["较差"] * 4, ["好", "一般", "较好", N]])
def test_a_finished_year_agrees_with_the_annual_rule(grades):
    """With nothing remaining, the outlook says what ``annual_outcome`` says."""
    o, a = outlook(grades, 0, P), annual_outcome(grades, P)
    assert (o.status in ("eligible", "priority")) == a.excellent_eligible
    assert (o.status == "priority") == a.excellent_priority
    assert (o.status in ("capped", "forced")) == (a.max_grade in ("基本称职", "不称职"))


@pytest.mark.parametrize("previous, current, reason", [
    (None, "一般", "本季度平时考核等次为一般"),
    ("好", "较差", "本季度平时考核等次为较差"),
    ("好", "较好", "等次由好降为较好"),
    ("较好", "较好", None),
    ("较好", "好", None),
    (None, "好", None),
    ("一般", None, None),
])
def test_talk_reason(previous, current, reason):
    assert talk_reason(previous, current, P) == reason
