"""The audit log in the words its readers use.

The log stores codes (``filing.return``, ``evaluation``, ``{"state": "returned"}``, UTC ISO times) so that it can be
searched and never depends on wording. The county office reads it in Chinese: this module turns an entry's action,
object and before/after into what the 操作日志 page shows. Pure: plain data in, text out; the names of people and
audiences it needs are looked up by ``audit_log.search`` (one query each per page) and passed in.

A code without a word here is shown as stored, so nothing is hidden; ``tests/handlers/test_audit_words.py`` checks
that every action the code can write has its words."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from config.policy import Policy
from handlers.identity.unit_desk import FILING_KINDS
from handlers.quarter.merits import STATE_LABELS as MERIT_STATES
from models.org import CHANGE_KINDS, PERSON_STATUSES, ROLES
from models.outbound import NOTICE_KINDS, NOTICE_STATES
from models.rules import states
from models.rules.calendar import format_local

#: The part of an action before the dot: the filter's groups, in the order the page lists them.
AREAS = {
    "cycle": "考核周期", "indicators": "考核指标", "summary": "平时考核登记表", "evaluation": "考核评鉴表",
    "decision": "党委(党组)审定", "results": "结果公示", "result": "结果反馈", "objection": "异议", "filing": "备案",
    "annual": "年度考核", "talk": "谈话提醒", "merit": "加扣分与问责", "leave": "请假", "secondment": "借调",
    "roster": "花名册", "unit": "单位", "tier": "考评层次", "role": "角色", "notice": "通知", "reminder": "提醒",
    "personal": "个人消息", "circular": "通报", "group": "工作群", "spotcheck": "抽查", "spot_check": "抽查通报",
    "binding": "微信绑定", "session": "登录", "admin_account": "管理员账号", "admin": "管理员登录",
    "access": "越权访问", "wechat": "公众号菜单",
}

#: Actions the code writes with a fixed name (the state machines' actions are added below).
_ACTIONS = {
    "access.denied": "访问被拒绝（对象不存在或不在权限内）",
    "access.forbidden": "操作被拒绝（无此权限）",
    "admin.login_failed": "管理后台登录失败",
    "admin_account.create": "创建管理员账号",
    "admin_account.disable": "停用管理员账号",
    "admin_account.reset_totp": "重置管理员动态口令",
    "annual.feed_back": "反馈年度考核等次",
    "annual.record": "录入年度考核等次",
    "annual.regrade": "改变年度考核等次（异议）",
    "binding.bound": "绑定微信",
    "binding.code_issued": "发放微信绑定码",
    "binding.demo": "演示账号绑定微信",
    "binding.failed": "微信绑定失败",
    "binding.linked_unionid": "关联小程序账号",
    "binding.removed": "解除微信绑定",
    "binding.throttled": "微信绑定尝试过多被暂停",
    "cycle.create": "建立季度考核",
    "decision.meeting": "记录党委(党组)会议",
    "decision.refused": "审定等次被拒绝",
    "evaluation.assign_refused": "指定分管领导被拒绝",
    "evaluation.assign_supervisor": "指定分管领导",
    "evaluation.graded_again": "恢复定等次（请假记录更正）",
    "evaluation.leave_not_applied": "请假未影响等次（已评鉴）",
    "evaluation.merits_applied": "计入加扣分",
    "evaluation.not_graded": "不定等次",
    "evaluation.regrade": "改变季度考核等次（异议）",
    "evaluation.score_without_summary": "未交登记表照常评分",
    "filing.results_changed": "备案后等次变更",
    "filing.submit": "报送备案",
    "group.create": "建立工作群",
    "indicators.reset": "恢复默认考核指标",
    "indicators.set": "设置考核指标",
    "leave.record": "登记请假",
    "leave.wecom_pull": "从企业微信读取请假",
    "merit.record": "登记加扣分事项",
    "objection.file": "提出异议",
    "merit.review": "审核加扣分事项",
    "merit.withdraw": "撤回加扣分事项",
    "notice.cancel": "撤回通知",
    "notice.release": "发出通知",
    "notice.send_draft": "发送通知草稿",
    "result.sign": "本人签署意见",
    "results.publish": "公示考核结果",
    "role.grant": "授予角色",
    "role.revoke": "收回角色",
    "secondment.create": "登记借调",
    "secondment.edit": "修改借调",
    "secondment.end": "结束借调",
    "session.create": "登录",
    "session.end_all": "退出全部设备",
    "session.end_departed": "离开单位后登录失效",
    "session.logout": "退出登录",
    "spot_check.circular_sent": "发出抽查通报",
    "spotcheck.draw": "抽取抽查单位",
    "spotcheck.finding": "记录抽查发现的问题",
    "summary.create": "建立平时考核登记表",
    "summary.add_paragraph": "登记表添加一段",
    "summary.remove_paragraph": "登记表删除一段",
    "summary.save": "保存平时考核登记表",
    "talk.holder_refused": "指定谈话人被拒绝",
    "talk.record": "记录谈话",
    "tier.create": "建立考评层次",
    "unit.create": "建立单位",
    "unit.update": "修改单位信息",
    "wechat.menu_push": "更新公众号菜单",
}

#: The state machines' transitions are written as ``<object>.<action>`` (cycles, summaries, evaluations, filings,
#: objections), 花名册 changes as ``roster.<kind>`` and system messages as ``<kind>.create``.
_MACHINES = {"cycle": states.CYCLE, "summary": states.SUMMARY, "evaluation": states.EVALUATION,
             "filing": states.FILING, "objection": states.OBJECTION}
ACTIONS = {
    **{f"{prefix}.{action}": words for prefix, m in _MACHINES.items() for action, (words, _, _) in m.actions.items()},
    **{f"roster.{kind}": f"花名册：{words}" for kind, words in CHANGE_KINDS.items()},
    **{f"{kind}.create": f"发布{words}" for kind, words in NOTICE_KINDS.items()},
    **_ACTIONS,
}
ACTIONS["evaluation.score"] = "评分（分管领导）"
ACTIONS["evaluation.decide"] = "审定等次（党委(党组)）"

OBJECTS = {
    "cycle": "季度考核", "summary": "登记表", "evaluation": "评鉴表", "filing": "备案", "objection": "异议",
    "annual_result": "年度考核等次", "person": "人员", "unit": "单位", "tier": "考评层次", "notice": "通知",
    "work_group": "工作群", "spot_check": "抽查", "merit_event": "加扣分事项", "leave": "请假记录",
    "secondment": "借调", "admin_account": "管理员账号", "api_session": "登录会话", "openid": "微信用户",
    "document": "文书", "console": "管理后台", "roster": "花名册", "wechat_menu": "公众号菜单",
}

FIELDS = {
    "annual_result_id": "年度等次记录", "answer": "答复", "answer_due": "答复期限", "answered_at": "答复时间",
    "asked": "查询人数", "at": "时间", "attendees": "参会人员", "channel": "途径", "closed_at": "办结时间",
    "comment": "意见", "cycle_id": "季度考核", "decided_at": "审定时间", "disabled": "已停用", "evaluatees": "考核人数",
    "expires_at": "有效期至", "fed_back_at": "反馈时间", "finding_id": "问题编号", "grade": "等次",
    "held_by": "谈话人", "held_by_id": "谈话人", "held_on": "谈话日期", "hired_on": "参加工作时间", "indicator_total": "指标得分",
    "ip": "IP 地址", "is_leader": "领导班子成员", "item": "事项", "key": "消息标识", "kind": "类别", "late": "逾期",
    "meeting_on": "会议日期", "name": "名称", "new_grade": "新等次", "no_summary_note": "未交登记表说明",
    "not_evaluated": "不参加考核", "not_graded_reason": "不定等次原因", "note": "备注", "notice_id": "通知",
    "objection_id": "异议", "on_leave": "请假中", "openid": "微信标识", "paragraphs": "段落数", "person_id": "人员",
    "phone": "手机号", "post": "职务", "quarter": "季度", "quarters": "各季度等次", "rank": "职级", "reason": "原因",
    "recipients": "接收人数", "returned": "读到条数", "returned_reason": "退回原因", "role": "角色", "scores": "评分",
    "seconded_here": "借调来的人员", "section_id": "股室", "seed": "抽取随机数", "send_at": "发送时间",
    "sessions": "结束的会话", "staff_no": "人员编号", "staffing_type": "编制类型", "start_on": "起始日期",
    "state": "状态", "status": "人员状态", "stopped": "停发条数", "suggested": "建议等次", "suggested_grade": "建议等次",
    "supervisor": "分管领导", "supervisor_id": "分管领导", "text": "内容", "tier_id": "考评层次", "title": "标题",
    "to": "接收范围", "total": "总分", "totp": "动态口令", "unit": "单位", "unit_id": "单位", "units": "单位",
    "wecom": "企业微信", "year": "年度", "oa_tag_id": "公众号标签",
    "final_grade": "审定等次", "publication": "公示", "voice_media_id": "语音", "publicity_ends": "公示截止",
    "people": "人数", "choice": "本人意见", "signed_at": "签署时间", "submitted_at": "提交时间", "evaluation_id": "评鉴表",
    "attachment": "附件", "merit_adjustment": "加扣分", "host_unit_id": "借调到", "home_unit_id": "原单位",
    "end_on": "截止日期", "planned_end_on": "原定截止日期", "occurred_on": "发生日期", "description": "事由",
    "evidence_sha256": "证明材料校验码", "days": "天数", "source": "来源", "tier": "考评层次", "rows": "行数",
    "missing_summaries": "未交登记表", "before_deadline": "截止前进入", "leave_days": "请假天数",
    "changes": "变更", "from": "原为", "specific": "岗位指标", "because": "原因", "everywhere": "全部设备",
    "changed_at": "变更时间", "label": "说明", "correction": "更正次数", "decided_by": "审定人", "paragraph": "段落",
    "type": "类型", "bytes": "大小（字节）", "user_failures": "本人失败次数", "all_failures": "失败次数",
    "would_be": "本应", "cycle_state": "考核环节", "unresolved": "未找到的接收范围", "host_tier_id": "借调考评层次",
    "end_reason": "结束原因", "held_by_name": "谈话人",
}

#: Why a request was refused (the error codes the access checks record).
REASONS = {
    "out_of_scope": "不在权限范围内", "not_found": "对象不存在", "forbidden": "无此权限",
    "not_assigned_supervisor": "不是该考核对象的分管领导", "decision_view": "只有单位管理员可查看审定",
    "county_only": "仅县公务员办可操作", "unit_admin_only": "仅单位管理员可操作",
    "admin_account_disabled": "管理员账号已停用", "admin_totp_reset": "管理员动态口令已重置",
    "unknown": "账号不存在", "disabled": "账号已停用", "password": "密码错误", "totp": "动态口令错误",
    "not_county": "不是县公务员办人员", "bind_code_out_of_scope": "绑定码不在本单位范围内",
    "self_supervision": "不能担任自己的分管领导", "merit_blocked": "有影响等次的问责事项",
    "scorer_not_in_unit": "评分人不在本单位", "scorer_is_acting_admin": "单位管理员不能兼任评分人",
    "scorer_not_supervisor": "评分人不是分管领导", "used_or_expired": "绑定码已使用或已过期",
    "malformed": "格式不对", "unsubscribe": "用户已取消关注", "leave": "请假",
}

CHANNELS = {"chat": "公众号对话", "page": "手机页面", "api": "小程序", "oa": "公众号", "console": "管理后台",
            "miniapp": "小程序", "cli": "命令行", "wecom": "企业微信", "web": "手机页面", "admin": "管理后台",
            "import": "表格导入"}
#: ``kind`` is a notice's, a filing's or a session's kind by the object it is about.
_KINDS = {"notice": NOTICE_KINDS, "filing": FILING_KINDS, "api_session": CHANNELS,
          "objection": {"quarter": "平时考核", "annual": "年度考核"}}
CHOICES = {"agree": "同意", "object": "有异议"}

#: What a stored id names, for the page to look up (``audit_names.names_of``, one query per kind and page): a person's
#: id reads as 姓名（人员编号）, a unit's as its name, a cycle's as 县财政局 2026年第4季度, a 评鉴表's as 张三（K001） 县财政局
#: 2026年第4季度, a notice's as its 《title》; a score's indicator id (``{"scores": {"11": 8.5}}``) as the indicator's name.
ID_FIELDS = {"person_id": "person", "held_by_id": "person", "supervisor_id": "person", "unit_id": "unit",
             "home_unit_id": "unit", "host_unit_id": "unit", "tier_id": "tier", "host_tier_id": "tier",
             "section_id": "section", "cycle_id": "cycle", "evaluation_id": "evaluation", "objection_id": "objection",
             "annual_result_id": "annual_result", "notice_id": "notice"}
#: The system's own bookkeeping, not shown: a system message's dedupe key (``filing-returned:3:<moment>:2``).
HIDDEN = frozenset({"key"})

_STATE_WORDS = {**{k: m.labels for k, m in _MACHINES.items()}, "notice": NOTICE_STATES, "person": PERSON_STATUSES,
                "merit_event": MERIT_STATES}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
EMPTY = "（空）"


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def object_label(object_type: str) -> str:
    return OBJECTS.get(object_type, object_type)


def action_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The filter's choices: ``(area code, area words, [(action, words), …])`` in ``AREAS`` order."""
    return [(area, words, sorted(((a, w) for a, w in ACTIONS.items() if a.split(".", 1)[0] == area),
                                 key=lambda aw: aw[1]))
            for area, words in AREAS.items()]


def field(key: str, value: Any) -> str:
    """A field's words; ``to`` is a notice's audience (a list) or, in a grade change, the grade it changed to."""
    return "改为" if key == "to" and not isinstance(value, list) else FIELDS.get(key, key)


def ids_in(value: Any, key: str = "") -> set[tuple[str, int]]:
    """The ``(kind, id)`` pairs of :data:`ID_FIELDS` in a before/after, at any depth: what the page must look up."""
    if isinstance(value, dict) and key == "scores":  # {indicator id: points}
        return {("indicator", int(k)) for k in value if str(k).isdigit()}
    if isinstance(value, dict):
        return {pair for k, v in value.items() for pair in ids_in(v, k)}
    if isinstance(value, list):
        return {pair for v in value for pair in ids_in(v, key)}
    if key in ID_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return {(ID_FIELDS[key], value)}
    if isinstance(value, str) and value.startswith(("person:", "system:")):  # who decided, recorded, …
        return {("ref", value)}
    return set()


def value_text(key: str, value: Any, policy: Policy, *, object_type: str = "", audiences: dict | None = None,
               names: dict | None = None) -> str:
    """One stored value as a reader reads it: UTC times in Beijing time, codes in words, lists joined with 、, ids
    as the ``names`` the page looked up (``{(kind, id): text}``)."""
    more = {"object_type": object_type, "audiences": audiences, "names": names}

    def indicator(k: str) -> str:
        return (names or {}).get(("indicator", int(k)), f"指标{k}") if str(k).isdigit() else f"指标{k}"

    if key in ID_FIELDS and names and (ID_FIELDS[key], value) in names:
        return names[(ID_FIELDS[key], value)]
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        if key == "to" and audiences is not None:
            return "、".join(audiences.get(v, str(v)) for v in value) or "（无）"
        return "、".join(value_text(key, v, policy, **more) for v in value) or "（无）"
    if isinstance(value, dict):
        if key == "scores":
            return "；".join(f"{indicator(k)} {value_text('', v, policy)} 分" for k, v in value.items()) or "（无）"
        return "；".join(f"{field(k, v)}：{value_text(k, v, policy, **more)}"
                        for k, v in value.items() if k not in HIDDEN)
    if not isinstance(value, str):
        return str(value)
    if _ISO_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_local(moment if moment.tzinfo else moment.replace(tzinfo=UTC), policy)
    if value.startswith(("person:", "system:")) and names and ("ref", value) in names:
        return names[("ref", value)]
    words = {"state": _STATE_WORDS.get(object_type, {}), "status": PERSON_STATUSES, "role": ROLES,
             "reason": REASONS, "because": REASONS, "channel": CHANNELS, "source": CHANNELS, "choice": CHOICES,
             "cycle_state": states.CYCLE.labels, "kind": _KINDS.get(object_type, {})}.get(key)
    return words.get(value, value) if words else value


def changes(before: dict | None, after: dict | None, policy: Policy, *, object_type: str = "",
            audiences: dict | None = None, names: dict | None = None) -> list[dict]:
    """An entry's before/after as lines of ``{"field", "before", "after"}`` (``before`` is None for a value the entry
    only records): a value that did not change is left out, so an update reads as what it changed."""
    before, after = before or {}, after or {}
    more = {"object_type": object_type, "audiences": audiences, "names": names}
    lines = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key in HIDDEN or (key in before and key in after and before[key] == after[key]):
            continue
        lines.append({"field": field(key, after.get(key, before.get(key))),
                      "before": value_text(key, before[key], policy, **more) if key in before else None,
                      "after": value_text(key, after[key], policy, **more) if key in after else EMPTY})
    return lines
