"""Policy profiles: every number the evaluation rules use, read from ``config/policies/<name>.toml``.

A profile is plain, immutable data. The rules in ``models.rules`` take it as an argument, so another
county is another TOML file, never another code path.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from pathlib import Path

POLICY_DIR = Path(__file__).parent / "policies"


class PolicyError(ValueError):
    """A policy file is missing or inconsistent."""


@dataclass(frozen=True)
class Band:
    grade: str
    min: float


@dataclass(frozen=True)
class IndicatorSpec:
    dimension: str
    name: str
    points: float


@dataclass(frozen=True)
class TemplatePolicy:
    total: float
    common_total: float
    specific_total: float
    common_count: int
    specific_count: int
    common: tuple[IndicatorSpec, ...]
    specific: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class QuotaPolicy:
    good_percent: int
    rounding: str
    min_one_from: int = 0  # a quota group of at least this many graded people gets at least one 好 (0: off)
    pool_below: int = 0  # a unit's tiers with fewer graded people than this share one quota (0: off)


@dataclass(frozen=True)
class DeadlinePolicy:
    open_days_before_quarter_end: int
    summary: int
    scoring: int
    decision: int
    filing: int
    publicity_days: int


@dataclass(frozen=True)
class CalendarYear:
    """A year's statutory holidays and adjusted working days (调休), given in the profile for a year the
    chinesecalendar package does not know yet (or to correct it)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]


@dataclass(frozen=True)
class CalendarPolicy:
    """``[calendar]``: which deadlines count working days, and ``[calendar.<year>]`` overrides."""

    working_day_deadlines: tuple[str, ...] = ()  # of publicity, summary, scoring, decision, filing
    years: tuple[CalendarYear, ...] = ()

    def year(self, year: int) -> CalendarYear | None:
        return next((y for y in self.years if y.year == year), None)


WORKING_DAY_STEPS = ("publicity", "summary", "scoring", "decision", "filing")


def _calendar(data: dict) -> CalendarPolicy:
    steps = tuple(data.get("working_day_deadlines", ()))
    for step in steps:
        if step not in WORKING_DAY_STEPS:
            raise PolicyError(f"calendar.working_day_deadlines 中的 {step} 无效，可选：{'、'.join(WORKING_DAY_STEPS)}")
    years = []
    for key, value in data.items():
        if key == "working_day_deadlines":
            continue
        if not key.isdigit() or not isinstance(value, dict) or set(value) - {"holidays", "workdays"}:
            raise PolicyError(f"calendar.{key} 无效：应为 [calendar.<年份>]，含 holidays、workdays 两个日期列表")
        try:
            holidays = frozenset(_date(d) for d in value.get("holidays", ()))
            workdays = frozenset(_date(d) for d in value.get("workdays", ()))
        except ValueError:
            raise PolicyError(f"calendar.{key} 中的日期应写成 YYYY-MM-DD") from None
        if any(d.year != int(key) for d in holidays | workdays):
            raise PolicyError(f"calendar.{key} 中有不属于 {key} 年的日期")
        years.append(CalendarYear(int(key), holidays, workdays))
    return CalendarPolicy(steps, tuple(years))


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class ReminderPolicy:
    offsets_days: tuple[int, ...]
    send_at: time
    quiet_start: time
    quiet_end: time
    grace_hours: int


@dataclass(frozen=True)
class NotGradedPolicy:
    probation_days: int
    probation_reason: str
    leave_days_max: int
    leave_reason: str
    # Probation (试用期) is extended by the leave taken in it when that leave exceeds this many days (0: off).
    probation_leave_over: float = 0


@dataclass(frozen=True)
class LeavePolicy:
    """``[leave]``: recorded leave days per person and quarter (imported or entered by unit HR). The supervisor's
    score sheet shows them beside the first common indicator of ``dimension`` (勤: 出勤纪律)."""

    dimension: str = "勤"
    step: float = 0.5  # days are recorded in steps of this many days
    wecom_hours_per_day: float = 8  # WeCom leave counted in hours becomes days at this many hours a day


@dataclass(frozen=True)
class SecondmentPolicy:
    """``[secondment]`` (借调): with ``host_evaluates``, a person seconded for at least ``min_months`` whole months of a
    quarter is evaluated by the host unit for that quarter; the home unit lists them with ``reason``."""

    host_evaluates: bool = False
    min_months: int = 2
    reason: str = "借调至{host}，由借调单位考核"


@dataclass(frozen=True)
class LeadersPolicy:
    """Unit leaders (班子成员, roster 是否领导 = 是): evaluated by the county ("county": not in the unit's cycle) or in
    the unit ("unit"), then in ``tier`` when set (its own 好 quota) or else in their roster tier."""

    evaluated_by: str = "unit"
    tier: str = ""
    reason: str = "单位领导班子成员由县委组织部考核，不参加本单位平时考核"


@dataclass(frozen=True)
class MissingSummaryPolicy:
    """What a supervisor may do for a person whose summary is not submitted when scoring starts: score anyway
    after recording why (``allow_score``), or mark them 不定等次 with one of ``not_graded_reasons``."""

    allow_score: bool = True
    not_graded_reasons: tuple[str, ...] = ("本季度未按规定提交个人小结，不确定等次",)


@dataclass(frozen=True)
class AnnualPolicy:
    excellent_min_good: int
    excellent_blocking_grades: tuple[str, ...]
    excellent_priority_good: int
    capped_grades: tuple[str, ...]
    capped_more_than: int
    capped_max_grade: str
    all_poor_grade: str
    all_poor_forced: str
    annual_grades: tuple[str, ...]


@dataclass(frozen=True)
class SummaryPolicy:
    max_chars: int
    max_paragraphs: int
    max_paragraph_chars: int


@dataclass(frozen=True)
class BindingPolicy:
    code_ttl_hours: int
    max_failures_per_user: int
    max_failures_global: int
    failure_window_minutes: int


YEAR_WINDOW = None  # a list's window: the year's quarters from the first up to the named one


@dataclass(frozen=True)
class ListRule:
    """A reference list drawn from results (``[results.lists.<kind>]``); applied by ``models.rules.lists``."""

    kind: str
    title: str
    grades: tuple[str, ...]  # the grades that count
    min_count: int  # at least this many of them in the window
    window: int | None = YEAR_WINDOW  # None: the year up to the quarter; N: the last N quarters ending there
    exclude_grades: tuple[str, ...] = ()  # any of these in the window keeps a person off the list


@dataclass(frozen=True)
class ResultsPolicy:
    """Uses of results and the county office's oversight (documents, lists, anomalies, spot checks)."""

    download_token_minutes: int = 10
    talk_grades: tuple[str, ...] = ("一般", "较差")
    promotion_min_good: int = 3
    training_min_good: int = 2
    duplicate_threshold: float = 0.8
    duplicate_shingle_chars: int = 4
    duplicate_num_perm: int = 64
    duplicate_recall: float = 0.95  # the chance that a pair exactly at the threshold is found (the LSH's bands)
    duplicate_min_chars: int = 30
    same_grades_quarters: int = 3
    spot_check_units: int = 5
    spot_check_people_per_unit: int = 3
    lists: tuple[ListRule, ...] = ()  # [results.lists.<kind>]; without it, 好 counts over the year (min_good above)

    def list_rule(self, kind: str, good: str) -> ListRule | None:
        for rule in self.lists:
            if rule.kind == kind:
                return rule
        if kind in ("promotion", "training"):  # a profile without [results.lists]: the older two thresholds
            title = "选拔任用参考名单" if kind == "promotion" else "培训参考名单"
            return ListRule(kind, title, (good,), getattr(self, f"{kind}_min_good"))
        return None


def _list_rule(kind: str, data: dict) -> ListRule:
    known = {"title", "grades", "min_count", "window", "exclude_grades"}
    if set(data) - known or not {"title", "grades", "min_count"} <= set(data):
        raise PolicyError(f"results.lists.{kind} 需要 title、grades、min_count，可选 window、exclude_grades")
    window = data.get("window", "year")
    if window != "year" and (not isinstance(window, int) or not 1 <= window <= 12):
        raise PolicyError(f"results.lists.{kind}.window 只能是 \"year\" 或 1 到 12 之间的季度数")
    return ListRule(kind, str(data["title"]), tuple(data["grades"]), int(data["min_count"]),
                    None if window == "year" else window, tuple(data.get("exclude_grades", ())))


@dataclass(frozen=True)
class AssignmentPolicy:
    """Who may be named the scorer (评鉴人) of an evaluation: always a member of the evaluation's unit holding the
    supervisor role (a leader, or a 分管领导 grant), never the evaluatee. ``acting_admin_may_score``: may the unit HR
    officer who makes the assignment name themself (then they also score)?"""

    acting_admin_may_score: bool = False


def _assignment(data: dict) -> AssignmentPolicy:
    """The ``[assignment]`` section; optional (defaults above), an unknown key is an error."""
    values = dict(data)
    if not all(isinstance(v, bool) for v in values.values()):
        raise PolicyError("assignment 中的选项只能是 true 或 false")
    return AssignmentPolicy(**values)


def _results(data: dict) -> ResultsPolicy:
    """The ``[results]`` section; every key is optional (defaults above), an unknown key is an error."""
    values = dict(data)
    if "talk_grades" in values:
        values["talk_grades"] = tuple(values["talk_grades"])
    if "duplicate_threshold" in values:
        values["duplicate_threshold"] = float(values["duplicate_threshold"])
    if "lists" in values:
        values["lists"] = tuple(_list_rule(kind, spec) for kind, spec in values["lists"].items())
    return ResultsPolicy(**values)


def _missing_summary(data: dict) -> MissingSummaryPolicy:
    values = dict(data)
    if "not_graded_reasons" in values:
        values["not_graded_reasons"] = tuple(values["not_graded_reasons"])
    return MissingSummaryPolicy(**values)


MERIT_EFFECTS = {
    "add": "加分",
    "subtract": "扣分",
    "no_good": "影响期内不得评为好",
    "no_excellent": "年度不得评优秀",
    "poor": "当季定为较差",
    "not_graded": "不定等次",
}


@dataclass(frozen=True)
class MeritItem:
    """One line of the county's catalogue (``[[merits.items]]``): units pick it, never change it.

    ``points`` per occurrence (+ adds, − subtracts, 0 for an item with no points); the item's sum in one quarter
    is capped at ``cap_per_quarter`` (in absolute value). ``period_months``: the 影响期 from the event's date
    (0: the event's quarter only). ``effects``: keys of ``MERIT_EFFECTS``."""

    code: str
    name: str
    category: str  # 加扣分 | 负面清单 | 问责
    points: float = 0.0
    cap_per_quarter: float = 0.0
    evidence_required: bool = False
    evidence_hint: str = ""
    effects: tuple[str, ...] = ()
    period_months: int = 0

    @property
    def effect_labels(self) -> list[str]:
        return [MERIT_EFFECTS[e] for e in self.effects]


@dataclass(frozen=True)
class MeritsPolicy:
    """``[merits]``: the catalogue, whether the county approves each event, the total's bounds, evidence limits."""

    require_approval: bool = False
    total_min: float = 0.0
    total_max: float = 100.0
    evidence_max_bytes: int = 5 * 1024 * 1024
    evidence_types: tuple[str, ...] = ("pdf", "jpg", "jpeg", "png")
    items: tuple[MeritItem, ...] = ()

    def item(self, code: str) -> MeritItem | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def longest_period_months(self) -> int:
        return max((i.period_months for i in self.items), default=0)


def _merits(data: dict) -> MeritsPolicy:
    values = dict(data)
    items = []
    for raw in values.pop("items", ()):
        raw = dict(raw)
        known = {"code", "name", "category", "points", "cap_per_quarter", "evidence_required", "evidence_hint",
                 "effects", "period_months"}
        if set(raw) - known or not {"code", "name", "category", "effects"} <= set(raw):
            raise PolicyError("merits.items 每项需要 code、name、category、effects，可选 points、cap_per_quarter、"
                              "evidence_required、evidence_hint、period_months")
        items.append(MeritItem(str(raw["code"]), str(raw["name"]), str(raw["category"]),
                               float(raw.get("points", 0)), float(raw.get("cap_per_quarter", 0)),
                               bool(raw.get("evidence_required", False)), str(raw.get("evidence_hint", "")),
                               tuple(raw["effects"]), int(raw.get("period_months", 0))))
    if "evidence_types" in values:
        values["evidence_types"] = tuple(str(t).lower() for t in values["evidence_types"])
    for key in ("total_min", "total_max"):
        if key in values:
            values[key] = float(values[key])
    return MeritsPolicy(**values, items=tuple(items))


def _check_merits(m: MeritsPolicy) -> None:
    if m.total_min >= m.total_max:
        raise PolicyError("merits.total_min 必须小于 total_max")
    if m.evidence_max_bytes < 1 or not m.evidence_types:
        raise PolicyError("merits.evidence_max_bytes 至少为 1，evidence_types 不能为空")
    codes = [i.code for i in m.items]
    if len(set(codes)) != len(codes):
        raise PolicyError("merits.items 的 code 不能重复")
    for i in m.items:
        where = f"merits.items {i.code}"
        if not i.code or not i.name or not i.effects:
            raise PolicyError(f"{where}：code、name、effects 不能为空")
        for e in i.effects:
            if e not in MERIT_EFFECTS:
                raise PolicyError(f"{where}：效果 {e} 无效，可选：{'、'.join(MERIT_EFFECTS)}")
        if ("add" in i.effects) != (i.points > 0) or ("subtract" in i.effects) != (i.points < 0):
            raise PolicyError(f"{where}：加分项 points 须为正数、扣分项须为负数，其他项 points 为 0")
        if i.points and abs(i.cap_per_quarter) < abs(i.points):
            raise PolicyError(f"{where}：cap_per_quarter（每季度上限）不能小于一次的分值")
        if i.period_months < 0:
            raise PolicyError(f"{where}：period_months 不能为负数")


@dataclass(frozen=True)
class FeedbackPolicy:
    """``[feedback]``: after the results are fed back (公示 begins) each person signs them (本人签署意见: 同意 or
    有异议) and may object (异议). Days are working days (工作日) counted from the day of feedback."""

    sign_working_days: int = 3  # the sign-off is due at the end of this working day after feedback
    remind_offsets_days: tuple[int, ...] = (1, 0)  # reminders before that (days; 0 = its morning), then one overdue
    objection_working_days: int = 5  # objections are taken during 公示 and at least this long after feedback
    answer_working_days: int = 10  # the unit answers an objection within this many working days
    answer_remind_offsets_days: tuple[int, ...] = (2, 0)  # unit HR reminded before the answer is due, then overdue
    escalate_working_days: int = 5  # the person may escalate the unit's answer until the end of this working day
    reply_remind_offsets_days: tuple[int, ...] = (1,)  # the person reminded this long before escalation closes
    # Grades whose objection is a 复核 under the civil-service law's clocks (calendar days, not working days): the
    # request within ``law_request_days`` of learning of the grade, the organ's decision within
    # ``law_decision_days``, 申诉 within ``law_appeal_days`` of the decision.
    law_grades: tuple[str, ...] = ()
    # Annual grades (``[annual] annual_grades``) whose person may ask for a 复核 of the recorded annual grade, under
    # the same clocks (an annual grade outside this list cannot be objected to through the system).
    annual_law_grades: tuple[str, ...] = ()
    law_request_days: int = 30
    law_decision_days: int = 30
    law_appeal_days: int = 15
    reason_max_chars: int = 1000
    comment_max_chars: int = 200
    attachment_max_kb: int = 700  # request bodies are at most 1 MiB (bot/app.py), base64 in the API
    attachment_types: tuple[str, ...] = ("jpg", "png", "pdf")


ATTACHMENT_TYPES = ("jpg", "png", "pdf")


def _feedback(data: dict) -> FeedbackPolicy:
    values = dict(data)
    for key in ("remind_offsets_days", "answer_remind_offsets_days", "reply_remind_offsets_days", "attachment_types",
                "law_grades", "annual_law_grades"):
        if key in values:
            values[key] = tuple(values[key])
    policy = FeedbackPolicy(**values)
    if min(policy.sign_working_days, policy.objection_working_days, policy.answer_working_days,
           policy.escalate_working_days, policy.law_request_days, policy.law_decision_days,
           policy.law_appeal_days, policy.reason_max_chars, policy.comment_max_chars, policy.attachment_max_kb) < 1:
        raise PolicyError("feedback 中的天数、字数和附件大小都必须至少为 1")
    if policy.attachment_max_kb > 750:
        raise PolicyError("feedback.attachment_max_kb 最大 750（请求体上限 1 MiB，小程序以 base64 上传）")
    if any(d < 0 for d in (*policy.remind_offsets_days, *policy.answer_remind_offsets_days,
                           *policy.reply_remind_offsets_days)):
        raise PolicyError("feedback 中的提醒天数（*_remind_offsets_days）不能为负数")
    if set(policy.attachment_types) - set(ATTACHMENT_TYPES):
        raise PolicyError(f"feedback.attachment_types 只能取 {'、'.join(ATTACHMENT_TYPES)}")
    return policy


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    timezone: str
    contact: str
    county: str
    grades: tuple[str, ...]
    bands: tuple[Band, ...]
    quota: QuotaPolicy
    template: TemplatePolicy
    quick_levels: dict[str, float]
    deadlines: DeadlinePolicy
    reminders: ReminderPolicy
    not_graded: NotGradedPolicy
    annual: AnnualPolicy
    summary: SummaryPolicy
    binding: BindingPolicy
    results: ResultsPolicy = ResultsPolicy()
    assignment: AssignmentPolicy = AssignmentPolicy()
    calendar: CalendarPolicy = CalendarPolicy()
    leaders: LeadersPolicy = LeadersPolicy()
    missing_summary: MissingSummaryPolicy = MissingSummaryPolicy()
    feedback: FeedbackPolicy = FeedbackPolicy()
    leave: LeavePolicy = LeavePolicy()
    secondment: SecondmentPolicy = SecondmentPolicy()
    merits: MeritsPolicy = MeritsPolicy()

    @property
    def good_grade(self) -> str:
        return self.grades[0]


def _time(value: str, field: str) -> time:
    try:
        hour, minute = value.split(":")
        return time(int(hour), int(minute))
    except (ValueError, AttributeError) as exc:
        raise PolicyError(f"{field} 应为 HH:MM 格式，实际为 {value!r}") from exc


def _specs(items: list[dict]) -> tuple[IndicatorSpec, ...]:
    return tuple(IndicatorSpec(i["dimension"], i["name"], float(i["points"])) for i in items)


def parse_policy(data: dict) -> Policy:
    try:
        t = data["template"]
        r = data["reminders"]
        a = data["annual"]
        policy = Policy(
            name=data["name"],
            title=data["title"],
            timezone=data.get("timezone", "Asia/Shanghai"),
            contact=data.get("contact", "单位平时考核办公室"),
            county=data.get("county", "本县"),
            grades=tuple(data["grades"]),
            bands=tuple(Band(b["grade"], float(b["min"])) for b in data["bands"]),
            quota=QuotaPolicy(int(data["quota"]["good_percent"]), data["quota"].get("rounding", "down"),
                              int(data["quota"].get("min_one_from", 0)), int(data["quota"].get("pool_below", 0))),
            template=TemplatePolicy(
                total=float(t["total"]),
                common_total=float(t["common_total"]),
                specific_total=float(t["specific_total"]),
                common_count=int(t["common_count"]),
                specific_count=int(t["specific_count"]),
                common=_specs(t["common"]),
                specific=_specs(t["specific"]),
            ),
            quick_levels={k: float(v) for k, v in data["quick_levels"].items()},
            deadlines=DeadlinePolicy(**{k: int(v) for k, v in data["deadlines"].items()}),
            reminders=ReminderPolicy(
                offsets_days=tuple(int(x) for x in r["offsets_days"]),
                send_at=_time(r["send_at"], "reminders.send_at"),
                quiet_start=_time(r["quiet_start"], "reminders.quiet_start"),
                quiet_end=_time(r["quiet_end"], "reminders.quiet_end"),
                grace_hours=int(r["grace_hours"]),
            ),
            not_graded=NotGradedPolicy(**data["not_graded"]),
            annual=AnnualPolicy(
                excellent_min_good=int(a["excellent_min_good"]),
                excellent_blocking_grades=tuple(a["excellent_blocking_grades"]),
                excellent_priority_good=int(a["excellent_priority_good"]),
                capped_grades=tuple(a["capped_grades"]),
                capped_more_than=int(a["capped_more_than"]),
                capped_max_grade=a["capped_max_grade"],
                all_poor_grade=a["all_poor_grade"],
                all_poor_forced=a["all_poor_forced"],
                annual_grades=tuple(a["annual_grades"]),
            ),
            summary=SummaryPolicy(**{k: int(v) for k, v in data["summary"].items()}),
            binding=BindingPolicy(**{k: int(v) for k, v in data["binding"].items()}),
            results=_results(data.get("results", {})),
            assignment=_assignment(data.get("assignment", {})),
            calendar=_calendar(data.get("calendar", {})),
            leaders=LeadersPolicy(**data.get("leaders", {})),
            missing_summary=_missing_summary(data.get("missing_summary", {})),
            feedback=_feedback(data.get("feedback", {})),
            leave=LeavePolicy(**data.get("leave", {})),
            secondment=SecondmentPolicy(**data.get("secondment", {})),
            merits=_merits(data.get("merits", {})),
        )
    except KeyError as exc:
        raise PolicyError(f"政策文件缺少字段 {exc.args[0]}") from exc
    except TypeError as exc:
        raise PolicyError(f"政策文件字段有误：{exc}") from exc
    _check(policy)
    return policy


def _check(p: Policy) -> None:
    _check_merits(p.merits)
    if set(p.feedback.annual_law_grades) - set(p.annual.annual_grades):
        raise PolicyError("feedback.annual_law_grades 只能取 annual.annual_grades 中的等次")
    if [b.grade for b in p.bands] != list(p.grades):
        raise PolicyError("bands 的等次顺序必须与 grades 一致")
    if any(a.min <= b.min for a, b in zip(p.bands, p.bands[1:])):
        raise PolicyError("bands 的分数下限必须从高到低严格递减")
    if p.quota.rounding not in ("down", "nearest", "up"):
        raise PolicyError("quota.rounding 只能是 down、nearest 或 up")
    if not 0 <= p.quota.good_percent <= 100:
        raise PolicyError("quota.good_percent 必须在 0 到 100 之间")
    if p.quota.min_one_from < 0 or p.quota.pool_below < 0:
        raise PolicyError("quota.min_one_from 和 quota.pool_below 不能为负数（0 表示不启用）")
    t = p.template
    if t.common_total + t.specific_total != t.total:
        raise PolicyError("template.common_total + specific_total 必须等于 total")
    if len(t.common) != t.common_count or sum(s.points for s in t.common) != t.common_total:
        raise PolicyError("template.common 的个数或分值与 common_count/common_total 不符")
    if len(t.specific) != t.specific_count or sum(s.points for s in t.specific) != t.specific_total:
        raise PolicyError("template.specific 的个数或分值与 specific_count/specific_total 不符")
    if not p.missing_summary.allow_score and not p.missing_summary.not_graded_reasons:
        raise PolicyError("missing_summary 至少要允许一种处理：allow_score 或 not_graded_reasons")
    if any(not r or len(r) > 200 for r in p.missing_summary.not_graded_reasons):
        raise PolicyError("missing_summary.not_graded_reasons 每条须为 1–200 个字")
    if p.not_graded.probation_leave_over < 0 or p.not_graded.leave_days_max < 0:
        raise PolicyError("not_graded.leave_days_max 和 probation_leave_over 不能为负数（0 表示不启用延长）")
    if p.leave.wecom_hours_per_day <= 0 or p.leave.wecom_hours_per_day > 24:
        raise PolicyError("leave.wecom_hours_per_day 必须在 0 到 24 之间")
    if not 0 < p.leave.step <= 1 or p.leave.dimension not in {s.dimension for s in p.template.common}:
        raise PolicyError("leave.step 必须在 0 到 1 之间，leave.dimension 必须是某个共性指标的维度")
    if not 1 <= p.secondment.min_months <= 3 or "{host}" not in p.secondment.reason:
        raise PolicyError("secondment.min_months 必须在 1 到 3 之间（季度内的整月数），reason 须含 {host}")
    if p.leaders.evaluated_by not in ("county", "unit"):
        raise PolicyError("leaders.evaluated_by 只能是 county（由县里考核）或 unit（在本单位考核）")
    r = p.results
    if not 0 < r.duplicate_threshold <= 1:
        raise PolicyError("results.duplicate_threshold 必须在 0 到 1 之间")
    if not 0 < r.duplicate_recall < 1:
        raise PolicyError("results.duplicate_recall 必须大于 0 且小于 1")
    if r.duplicate_shingle_chars < 2 or r.duplicate_num_perm < 16 or r.duplicate_min_chars < 1:
        raise PolicyError("results.duplicate_shingle_chars 至少为 2，duplicate_num_perm 至少为 16")
    if min(r.download_token_minutes, r.spot_check_units, r.spot_check_people_per_unit, r.same_grades_quarters,
           r.promotion_min_good, r.training_min_good) < 1:
        raise PolicyError("results 中的时长、人数和次数都必须至少为 1")
    for rule in r.lists:
        if rule.min_count < 1 or not rule.grades:
            raise PolicyError(f"results.lists.{rule.kind} 的 grades 不能为空，min_count 至少为 1")
        for grade in (*rule.grades, *rule.exclude_grades):
            if grade not in p.grades:
                raise PolicyError(f"results.lists.{rule.kind} 中的等次 {grade} 不在 grades 中")
    for grade in (*p.results.talk_grades, *p.annual.excellent_blocking_grades, *p.annual.capped_grades, p.annual.all_poor_grade):
        if grade not in p.grades:
            raise PolicyError(f"annual 中的等次 {grade} 不在 grades 中")


@lru_cache(maxsize=16)
def load_policy(name: str = "hengyang") -> Policy:
    """Load a profile by name from ``config/policies``. Cached: profiles are immutable."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise PolicyError(f"政策名称无效：{name!r}")
    path = POLICY_DIR / f"{name}.toml"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in POLICY_DIR.glob("*.toml")))
        raise PolicyError(f"找不到政策文件 {name}.toml（可用：{available}）")
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{path.name} 不是有效的 TOML：{exc}") from exc
    return parse_policy(data)
