"""The use cases the Official Account chat calls. Each returns the Chinese text to show; the bot only routes.

They reuse the shared use cases (``summaries``, ``progress``, ``binding``), so a chat "提交" and the Mini
Program's submit are the same code. ``returned_notice`` is also meant for the outbound channel (scheduler).
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Summary, utcnow
from models.rules import states
from models.rules.calendar import format_local
from models.store import Store

from handlers.identity import binding

from handlers.outbound import notices

from handlers.quarter import progress, summaries
from handlers.quarter.summaries import returned_notice  # noqa: F401  (the chat shows it; re-exported for callers)
from handlers.actor import Actor, actor_for_person
from handlers.errors import Conflict, DomainError, Forbidden, InvalidInput

CHANNEL = "oa"
ACTOR_TTL = 60  # seconds an openid → person (and roles) lookup is cached in the store


# -- who is writing -------------------------------------------------------------------------------------------
def actor_key(openid: str) -> str:
    return f"chat:actor:{openid}"


def _dump(actor: Actor) -> str:
    return json.dumps({"ref": actor.ref, "name": actor.name, "person_id": actor.person_id, "unit_id": actor.unit_id,
                       "roles": sorted(actor.roles), "admin_units": sorted(actor.admin_units),
                       "supervisor_units": sorted(actor.supervisor_units)}, ensure_ascii=False)


def _load(raw: str) -> Actor:
    d = json.loads(raw)
    return Actor(ref=d["ref"], name=d["name"], person_id=d["person_id"], unit_id=d["unit_id"],
                 roles=frozenset(d["roles"]), admin_units=frozenset(d["admin_units"]),
                 supervisor_units=frozenset(d["supervisor_units"]))


def actor_for_openid(session: Session, store: Store, openid: str) -> Actor | None:
    """The bound, active person behind an Official Account openid, or None. Cached for ``ACTOR_TTL`` seconds."""
    cached = store.get(actor_key(openid))
    if cached is not None:
        return None if cached == "-" else _load(cached)
    person = binding.person_for_openid(session, CHANNEL, openid)
    actor = actor_for_person(session, person.id) if person is not None else None
    store.set(actor_key(openid), _dump(actor) if actor else "-", ttl=ACTOR_TTL)
    return actor


def forget_openid(store: Store, openid: str) -> None:
    store.delete(actor_key(openid))


# -- binding ---------------------------------------------------------------------------------------------------
def how_to_bind(policy: Policy) -> str:
    return ("您好！这里是" + policy.title + "。\n"
            "使用前请先绑定身份：向本单位平时考核管理员（人事）索取一次性绑定码，然后发送\n"
            "绑定 绑定码\n例如：绑定 AB3D5F7H\n绑定码 " + str(policy.binding.code_ttl_hours) + " 小时内有效，仅能使用一次。")


def greet(policy: Policy, actor: Actor | None) -> str:
    if actor is None:
        return "欢迎关注！" + how_to_bind(policy)
    return f"欢迎回来，{actor.name}！发送“帮助”查看可以做的事。"


def bind(session: Session, store: Store, policy: Policy, openid: str, code: str) -> str:
    person = binding.redeem_bind_code(session, store, policy, channel=CHANNEL, openid=openid, code=code)
    forget_openid(store, openid)
    return f"绑定成功！{person.name}（{person.staff_no}），您好。\n发送“写小结”填写本季度个人小结，发送“帮助”查看全部功能。"


def unsubscribe(session: Session, store: Store, openid: str) -> bool:
    """WeChat requires dropping the binding; the person's evaluation data stays."""
    removed = binding.unbind(session, CHANNEL, openid, reason="unsubscribe", store=store)
    forget_openid(store, openid)
    return removed


# -- help ------------------------------------------------------------------------------------------------------
def help_text(session: Session, actor: Actor, policy: Policy, commands: list[tuple[str, str, str | None]]) -> str:
    """``commands``: (word, what it does, when) the actor may use, from the bot's command table. ``when`` is None
    (always), ``"writable"`` (the summary can be written now) or ``"submitted"`` (it can be withdrawn)."""
    lines = [f"{actor.name}，您好。"]
    evaluation = summaries.current_evaluation(session, actor.person_id) if actor.person_id else None
    writable = submitted = False
    if evaluation is not None:
        cycle = session.get(Cycle, evaluation.cycle_id)
        summary = session.scalar(select(Summary).where(Summary.cycle_id == cycle.id,
                                                       Summary.person_id == actor.person_id))
        lines.append(f"{cycle.label}考核：{states.CYCLE.label(cycle.state)}阶段。")
        state = summary.state if summary else "draft"
        submitted = state == "submitted" and cycle.state == "open"
        try:
            summaries._writable(session, cycle, summary, policy, utcnow())
            writable = state in ("draft", "returned")
            if writable:
                lines.append(f"个人小结截止：{format_local(cycle.summary_due, policy)}。")
        except Conflict as exc:
            if state in ("draft", "returned"):
                lines.append(exc.message)
        if summary is not None:
            lines.append(f"您的个人小结：{states.SUMMARY.label(summary.state)}。")
    elif actor.person_id is not None:
        s = progress.my_status(session, actor, policy)
        if s.not_evaluated_reason:
            lines.append(f"本单位{s.unit_step}（您不参加本单位平时考核）。" if s.unit_step
                         else "本单位本季度考核尚未开始（您不参加本单位平时考核）。")
        else:
            lines.append(f"{s.ended}。" if s.ended else "本季度考核尚未开始。")
    lines.append("您可以发送：")
    lines += [f"· {word}：{what}" for word, what, when in commands
              if when is None or (when == "writable" and writable) or (when == "submitted" and submitted)]
    return "\n".join(lines)


# -- the summary -------------------------------------------------------------------------------------------------
def _size(view: summaries.SummaryView) -> str:
    return f"{len(view.paragraphs)} 段，共 {sum(len(p) for p in view.paragraphs)} 字"


WRITING_HINT = "继续发送文字或语音即追加一段；发送“预览”查看，“删除上一段”撤销，“提交”提交，“取消”退出。"


def start_writing(session: Session, actor: Actor, policy: Policy) -> str:
    view = summaries.start_or_resume(session, actor, policy)
    if not view.editable:
        if view.state == "submitted":
            refusal = summaries.withdraw_refusal(session, actor, policy)
            if refusal is None:
                return f"{view.cycle_label}个人小结已提交。如需修改，请先发送“撤回”。"
            return f"{view.cycle_label}个人小结已提交。{refusal.rstrip('。')}。"
        return f"{view.cycle_label}个人小结{view.state_label}，不能再修改。"
    head = f"开始填写{view.cycle_label}个人小结（截止 {view.deadline}）。"
    if view.paragraphs:
        head = f"继续填写{view.cycle_label}个人小结（已有 {_size(view)}，截止 {view.deadline}）。"
    if view.state == "returned" and view.returned_reason:
        head += f"\n分管领导退回修改的原因：{view.returned_reason}"
    return head + "\n" + WRITING_HINT


def append(session: Session, actor: Actor, policy: Policy, text: str, voice_media_id: str | None = None,
           seen: dict | None = None) -> str:
    """``seen`` (optional) receives the summary's state, so the caller can skip looking for a returned summary."""
    view = summaries.add_paragraph(session, actor, policy, text, voice_media_id=voice_media_id)
    if seen is not None:
        seen["summary_state"] = view.state
    if not text.strip():
        return ("没有识别出这段语音的文字（可能是网络或方言原因），语音已保存在草稿中，未添加文字段落。"
                "请重新说一遍，或改发文字。")
    total = sum(len(p) for p in view.paragraphs)
    return f"已记录第 {len(view.paragraphs)} 段（共 {total} 字）。可继续发送；“预览”查看，“提交”提交，“取消”退出。"


def cancel_text(session: Session, actor: Actor | None, policy: Policy) -> str:
    """“取消”: leave the dialog, and say where the summary really stands (a submitted one is not a draft)."""
    tail = "发送“帮助”查看全部功能。"
    if actor is None or actor.person_id is None:
        return "已退出。" + tail
    try:
        view = summaries.my_summary(session, actor, policy)
    except DomainError:
        view = None
    if view is None or (view.state in ("draft", "returned") and not view.paragraphs and not view.voice_media_ids):
        return "已退出。" + tail
    if view.state in ("draft", "returned"):
        return f"已退出。{view.cycle_label}个人小结草稿已保存（{_size(view)}），发送“写小结”可继续填写；{tail}"
    return f"已退出。{view.cycle_label}个人小结{view.state_label}，不受影响。{tail}"


def preview(session: Session, actor: Actor, policy: Policy) -> str:
    view = summaries.my_summary(session, actor, policy)
    if view is None or (not view.paragraphs and not view.voice_media_ids):
        return "个人小结还是空的。发送“写小结”开始填写。"
    body = "\n".join(f"{i}. {p}" for i, p in enumerate(view.paragraphs, start=1))
    voices = f"\n（另有 {len(view.voice_media_ids)} 段语音）" if view.voice_media_ids else ""
    return f"【{view.cycle_label}个人小结 · {view.state_label} · {_size(view)}】\n{body}{voices}"


def remove_last(session: Session, actor: Actor, policy: Policy) -> str:
    removed, view = summaries.remove_last_paragraph(session, actor, policy)
    short = removed if len(removed) <= 30 else removed[:30] + "…"
    return f"已删除上一段：“{short}”。现有 {_size(view)}。"


def submit_prompt(session: Session, actor: Actor, policy: Policy) -> str:
    """Checks that submitting is possible now and asks for confirmation (nothing changes yet)."""
    summary, cycle = summaries._editable_summary(session, actor, policy, utcnow(), None)  # raises the exact refusal
    if not summary.paragraphs:
        raise InvalidInput("个人小结还是空的，请先发送文字或语音填写内容，再提交", "summary_empty")
    view = summaries.view(summary, cycle, policy, True)
    return (f"确认提交{view.cycle_label}个人小结（{_size(view)}）吗？提交后分管领导即可查看。\n"
            "回复“确认”提交，回复“取消”放弃。")


def submit(session: Session, actor: Actor, policy: Policy) -> str:
    view = summaries.submit(session, actor, policy)
    return f"{view.cycle_label}个人小结已提交（{_size(view)}）。截止（{view.deadline}）前、分管领导开始评鉴前，可发送“撤回”修改。"


def withdraw(session: Session, actor: Actor, policy: Policy) -> str:
    view = summaries.withdraw(session, actor, policy)
    return f"已撤回{view.cycle_label}个人小结，现在是草稿。发送“写小结”继续修改，改好后重新“提交”。"


# -- status, queue, progress ------------------------------------------------------------------------------------
def status_text(session: Session, actor: Actor, policy: Policy) -> str:
    s = progress.my_status(session, actor, policy)
    lines = []
    if s.cycle_label:
        lines.append(f"【{s.cycle_label}】当前阶段：{s.step}" + (f"（本阶段截止 {s.step_deadline}）" if s.step_deadline else ""))
        if s.not_graded_reason:
            lines.append(f"本季度不定等次：{s.not_graded_reason}")
        line = f"个人小结：{s.summary_label}"
        if s.summary_open and s.summary_deadline:  # a deadline only while the person can still act on it
            line += f"（截止 {s.summary_deadline}）"
        lines.append(line)
        if s.returned_reason:
            lines.append(f"退回原因：{s.returned_reason}")
        if s.final_grade:
            lines.append(f"本季度等次：{s.final_grade}")
        elif s.progress_note:
            lines.append(s.progress_note)
    elif s.not_evaluated_reason:
        lines.append(f"您不参加本单位的平时考核：{s.not_evaluated_reason}。")
        if s.unit_step:
            lines.append(f"本单位{s.unit_step}。")
    elif s.ended:
        lines.append(f"{s.ended}。")
    else:
        lines.append("本季度考核尚未开始。")
    from handlers.quarter import feedback

    fed = feedback.my_feedback(session, actor, policy)
    if fed is not None and fed.can_sign:
        lines.append(f"{fed.cycle_label}考核结果（{fed.grade}）待您确认：发送“确认结果”。")
    names = ["一", "二", "三", "四"]
    grades = "，".join(f"第{names[i]}季度 {g or '—'}" for i, g in enumerate(s.quarters))
    lines.append(f"{s.year}年平时考核等次：{grades}")
    lines.append("年度考核：" + "；".join(s.annual_reasons))
    from handlers.results import annual_results

    year_view = annual_results.my_annual(session, actor, policy)
    if year_view is not None:
        lines.append(f"{year_view.cycle_label}考核等次：{year_view.grade}（发送“年度考核”查看"
                     + ("，可申请复核" if year_view.can_object else "") + "）")
    return "\n".join(lines)


def notices_text(session: Session, actor: Actor, policy: Policy, limit: int = 5) -> str:
    """“通知”: the person's latest notices, reminders and personal messages in full (a push shows 20 characters)."""
    rows = notices.my_notices(session, actor, offset=0, limit=limit)
    if not rows:
        return "您还没有收到过通知。"
    lines = [f"您最近收到的 {len(rows)} 条通知（新的在前）："]
    for r in rows:
        lines.append(f"【{r['kind']}】{r['title']}（{format_local(r['sent_at'], policy)}）")
        lines.append(r["body"])
        if r["link"]:
            lines.append(f"详情：{r['link']}")
    return "\n".join(lines)


def queue_text(session: Session, actor: Actor, policy: Policy) -> str:
    if "supervisor" not in actor.roles:
        raise Forbidden("“待评”仅供分管领导使用", "not_supervisor")
    waiting = progress.supervisor_queue(session, actor, policy)
    if not waiting:
        return "目前没有等待您评鉴的人员。"
    lines = [f"等待您评鉴的人员（{len(waiting)} 人，评鉴截止 {waiting[0].deadline}）："]
    lines += [f"· {w.name}（{w.staff_no}）小结{w.summary_state}" for w in waiting]
    lines.append("请在手机页面（公众号菜单“打分”）逐项打分。")
    return "\n".join(lines)


def progress_text(session: Session, actor: Actor, policy: Policy) -> str:
    units = sorted(actor.admin_units | actor.supervisor_units)
    if not units:
        raise Forbidden("“进度”仅供分管领导和单位管理员使用", "not_supervisor")
    unit_id = actor.unit_id if actor.unit_id in units else units[0]
    p = progress.unit_progress(session, actor, policy, unit_id)
    t = p.totals()
    lines = [f"【{p.unit} · {p.cycle_label}】{p.step}",
             f"应考核 {t['people']} 人（不定等次 {t['not_graded']} 人）：小结已交 {t['summaries_submitted']}，"
             f"已评鉴 {t['scored']}，已审定 {t['decided']}，已公布 {t['published']}",
             f"小结截止 {p.summary_deadline}；评鉴截止 {p.scoring_deadline}"]
    for tier in p.tiers:
        lines.append(f"· {tier.tier}：{tier.people} 人，小结 {tier.summaries_submitted}，评鉴 {tier.scored}")
        if tier.late_summaries:
            lines.append(f"  逾期未交小结：{'、'.join(tier.late_summaries)}")
        if tier.late_scoring:
            lines.append(f"  逾期未评鉴：{'、'.join(tier.late_scoring)}")
    return "\n".join(lines)


MERITS_SHOWN = 15


def merits_text(session: Session, actor: Actor, policy: Policy) -> str:
    """Unit HR: this quarter's 加扣分、负面清单与问责 events of their unit, with points and state (recording needs the
    evidence file, so it stays on the console, the API and the CLI)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from handlers.quarter import merits

    units = sorted(actor.admin_units)
    if not units:
        raise Forbidden("“加扣分”仅供单位平时考核管理员使用", "unit_admin_only")
    unit_id = actor.unit_id if actor.unit_id in units else units[0]
    today = datetime.now(ZoneInfo(policy.timezone)).date()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    rows = merits.list_events(session, actor, policy, unit_id=unit_id, year=year, quarter=quarter, limit=500)
    head = f"【本单位{year}年第{quarter}季度加扣分、负面清单与问责】"
    how = "登记或撤回请在管理台“加扣分”页办理（需上传证明材料）。"
    if not rows:
        return f"{head}\n本季度还没有记录。{how}"
    lines = [head]
    for e in rows[:MERITS_SHOWN]:
        points = f" {'+' if e['points'] > 0 else ''}{e['points']:g} 分" if e["points"] else ""
        effects = f"（{'、'.join(e['effect_labels'])}）" if not e["points"] and e["effect_labels"] else ""
        lines.append(f"· {e['name']}（{e['staff_no']}）{e['item_name']}{points}{effects}，{e['occurred_on']}，"
                     f"{e['state_label']}")
    if len(rows) > MERITS_SHOWN:
        lines.append(f"……共 {len(rows)} 项，其余请在管理台查看。")
    lines.append(how)
    return "\n".join(lines)


# -- a summary returned for revision --------------------------------------------------------------------------------
def untold_returned_notice(session: Session, store: Store, person_id: int, policy: Policy) -> str | None:
    """The notice, once per return (remembered in the store; if the store is flushed it is shown again)."""
    found = returned_notice(session, person_id, policy)
    if found is None:
        return None
    key, text = found
    return text if store.set(f"chat:told:{key}", "1", ttl=90 * 86400, nx=True) else None


# -- results fed back: 确认结果 (同意 / 有异议) and 异议 ------------------------------------------------------------
ARG_PUNCT = " :：,，、\u3000"
CONFIRM_HOW = "发送“确认结果 同意”（可在后面附上意见），或“异议 <理由>”提出异议。"


def _feedback_lines(view) -> list[str]:
    lines = [f"【{view.cycle_label}】考核结果：{view.grade}" + (f"（总分 {view.total:g}）" if view.total is not None else "")]
    if view.signed:
        comment = f"，意见：{view.signed_comment}" if view.signed_comment and view.signed == "agree" else ""
        lines.append(f"您已于 {view.signed_at} 确认：{view.signed_label}{comment}。")
    if view.objection:
        o = view.objection
        asked = "复核申请" if o.get("kind") == "annual" else "异议"
        if o["state"] == "open":
            lines.append(f"{asked}（{o['created_at']} 提出）：{o['reason']}——{o['state_label']}，单位应于 {o['answer_due']} 前答复。")
        else:
            lines.append(f"{asked}（{o['created_at']} 提出）：{o['reason']}——{o['state_label']}。")
            changed = f"等次由“{o['grade']}”改为“{o['new_grade']}”，" if o["new_grade"] else ""
            lines.append(f"单位答复（{o['answered_at']}）：{changed}{o['answer']}")
        if o["escalation_reason"]:
            lines.append(f"您的申诉：{o['escalation_reason']}" + (f"；县公务员办办理意见：{o['county_note']}"
                                                            if o["county_note"] else ""))
        if o["can_escalate"]:
            lines.append(f"接受答复请发送“接受答复”；如不服，请于 {o['escalate_ends']} 前发送“申诉 <理由>”。")
    return lines


def result_confirm_text(session: Session, actor: Actor, policy: Policy, args: str) -> str:
    """“确认结果”: shows the fed-back result and how to answer; “确认结果 同意 [意见]” signs it; “确认结果 有异议 <理由>”
    files an objection (the same handler as “异议 <理由>”)."""
    from models.rules.feedback import parse_choice

    from handlers.quarter import feedback

    args = args.strip(ARG_PUNCT)
    if not args:
        view = feedback.my_feedback(session, actor, policy)
        if view is None:
            return "本季度考核结果还没有反馈给您，公示开始后会通知您确认。"
        lines = _feedback_lines(view)
        if view.can_sign:
            lines.append(f"请于 {view.sign_due} 前确认：{CONFIRM_HOW}" if view.sign_due else f"请确认：{CONFIRM_HOW}")
        elif view.can_object:
            lines.append(f"如有异议，请于 {view.objection_ends} 前发送“异议 <理由>”。")
        return "\n".join(lines)
    word, _, rest = args.partition(" ")
    choice = parse_choice(word)
    if choice is None:  # “确认结果 同意，没有意见”: the choice word may be followed by punctuation
        for w in ("无异议", "有异议", "不同意", "同意"):
            if args.startswith(w):
                word, rest, choice = w, args[len(w):], parse_choice(w)
                break
    if choice is None:
        raise InvalidInput(f"没有看懂“{args[:20]}”。{CONFIRM_HOW}", "bad_choice")
    rest = rest.strip(ARG_PUNCT)
    if choice == "object":
        return objection_text(session, actor, policy, rest)
    view = feedback.sign(session, actor, policy, "agree", rest, channel="chat")
    return "\n".join(["已确认。", *_feedback_lines(view)])


def objection_text(session: Session, actor: Actor, policy: Policy, args: str) -> str:
    """“异议 <理由>”: files the objection; the unit's HR and the committee are told. When the open thing is the
    person's annual grade (told, under the law, still within the days) and no quarter's result is open to objection,
    it is a 复核 of the annual grade (as “年度异议 <理由>”)."""
    from handlers.quarter import feedback
    from handlers.results import annual_results

    reason = args.strip(ARG_PUNCT)
    if not reason:
        raise InvalidInput("请在“异议”后写明理由，例如：异议 第三项指标得分与实际工作量不符", "reason_required")
    year_view = annual_results.my_annual(session, actor, policy) if actor.person_id else None
    if year_view is not None and year_view.can_object:
        fed = feedback.my_feedback(session, actor, policy)
        if fed is None or not fed.can_object:
            return annual_objection_text(session, actor, policy, reason)
    view = feedback.file_objection(session, actor, policy, reason, channel="chat")
    return "\n".join(["已收到您的异议，已告知单位人事和党委(党组)。", *_feedback_lines(view),
                      "需要补充材料（图片、PDF）请在“我的考核”页面上传，或交给单位人事。"])


def annual_text(session: Session, actor: Actor, policy: Policy) -> str:
    """“年度考核”: the person's recorded annual grade, their 复核 if any, and what they may do."""
    from handlers.results import annual_results

    view = annual_results.my_annual(session, actor, policy)
    if view is None:
        return "您的年度考核等次还没有确定或尚未告知您，告知后会通知您。"
    lines = _feedback_lines(view)
    lines.insert(1, f"告知时间：{view.published_at}")
    if view.can_object:
        lines.append(f"如对等次有异议，可于 {view.objection_ends} 前发送“年度异议 <理由>”申请复核"
                     "（复核期间不停止原考核结果的执行）。")
    return "\n".join(lines)


def annual_objection_text(session: Session, actor: Actor, policy: Policy, args: str) -> str:
    """“年度异议 <理由>”: asks for a 复核 of the annual grade (only for the policy's ``annual_law_grades``)."""
    from handlers.results import annual_results

    reason = args.strip(ARG_PUNCT)
    if not reason:
        raise InvalidInput("请在“年度异议”后写明理由，例如：年度异议 全年工作量与等次不符", "reason_required")
    view = annual_results.file_objection(session, actor, policy, reason, channel="chat")
    return "\n".join(["已收到您对年度考核等次的复核申请，已告知单位人事和党委(党组)。", *_feedback_lines(view),
                      "复核期间不停止原考核结果的执行。受理通知书可在“我的考核”页面“年度考核”下载。"])


def accept_answer_text(session: Session, actor: Actor, policy: Policy) -> str:
    """“接受答复”: the person accepts the unit's answer to their objection (closed)."""
    from handlers.quarter import objections

    view = objections.respond(session, actor, policy, "accept", channel="chat")
    return "\n".join(["已接受单位的答复，异议办结。", *_feedback_lines(view)])


def escalate_text(session: Session, actor: Actor, policy: Policy, args: str) -> str:
    """“申诉 <理由>”: the person escalates the unit's answer to the county office."""
    from handlers.quarter import objections

    reason = args.strip(ARG_PUNCT)
    if not reason:
        raise InvalidInput("请在“申诉”后写明理由，例如：申诉 单位答复未说明扣分依据", "reason_required")
    view = objections.respond(session, actor, policy, "escalate", reason, channel="chat")
    return "\n".join(["已向县公务员办提出申诉，办理结果会通知您。", *_feedback_lines(view)])
