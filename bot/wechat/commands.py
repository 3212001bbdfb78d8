"""What the chat understands: one table of commands, and the router that applies it to a WeChat message.

A command is the whole message (so a paragraph that merely contains “提交” is not a command). While writing a
summary, any text or voice that is not a command is a new paragraph. The dialog state is recorded in the
database in the turn's transaction (``dialog.save``); store writes (its cached copy, the rest of a long reply) are
queued in ``turn.later`` and applied only after the database transaction committed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from config.policy import Policy
from handlers.quarter import chat
from handlers.actor import Actor
from handlers.errors import Unauthorized
from handlers.outbound.links import ANNUAL, MY, QUEUE, page_url
from models.store import Store

from . import dialog

WHO = {  # who may use a command → test on the actor
    "anyone": lambda a: True,
    "staff": lambda a: a is not None and a.person_id is not None,
    "supervisor": lambda a: a is not None and "supervisor" in a.roles,
    "manager": lambda a: a is not None and bool(a.supervisor_units or a.admin_units),
    "unit_admin": lambda a: a is not None and bool(a.admin_units),
}


@dataclass
class Turn:
    session: Session
    store: Store
    policy: Policy
    openid: str
    actor: Actor | None
    text: str = ""
    args: str = ""
    later: list[Callable[[Store], None]] = field(default_factory=list)  # called with a batch after the commit
    seen: dict = field(default_factory=dict)  # facts learnt while handling (e.g. the summary's state)
    public_url: str = ""  # the phone pages' address (KAOHE_PUBLIC_URL), for links in replies
    known_dialog: dialog.Known | None = None  # the dialog state as read (or last written) in this turn

    def with_page(self, reply: str, path: str, label: str) -> str:
        """A reply ending with the phone page that does the same with taps (opened from WeChat: signed in at once)."""
        return f"{reply}\n{label}：{page_url(self.public_url, path)}" if self.public_url else reply

    def dialog_state(self) -> str | None:
        """The dialog state (cache, or the database on a miss); a state read from the database is cached later."""
        if self.known_dialog is None:
            self.known_dialog = known = dialog.read(self.session, self.store, self.openid)
            if known.from_db:
                self.later.append(lambda batch: dialog.cache(batch, self.openid, known))
        return self.known_dialog.state

    def set_dialog(self, state: str | None) -> None:
        """Recorded in this transaction (when it changes or is due for renewal); cached after the commit."""
        known = dialog.save(self.session, self.openid, state, self.known_dialog)
        if known is not None:
            self.known_dialog = known
            self.later.append(lambda batch: dialog.cache(batch, self.openid, known))


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    who: str
    help: str
    run: Callable[[Turn], str]
    prefix: bool = False  # “绑定 AB12CD34”: the word starts the message, the rest is the argument
    when: str | None = None  # “帮助” lists it only when the summary is "writable" / "submitted" (None: always)


def _help(t: Turn) -> str:
    return chat.help_text(t.session, t.actor, t.policy, [(c.words[0], c.help, c.when)
                                                          for c in COMMANDS if c.help and WHO[c.who](t.actor)])


def _write(t: Turn) -> str:
    reply = chat.start_writing(t.session, t.actor, t.policy)
    if chat.WRITING_HINT in reply:
        t.set_dialog(dialog.WRITING)
    return reply


def _submit(t: Turn) -> str:
    reply = chat.submit_prompt(t.session, t.actor, t.policy)
    t.set_dialog(dialog.CONFIRM_SUBMIT)
    return reply


def _confirm(t: Turn) -> str:
    reply = chat.submit(t.session, t.actor, t.policy)
    t.set_dialog(None)
    return reply


def _withdraw(t: Turn) -> str:
    reply = chat.withdraw(t.session, t.actor, t.policy)
    t.set_dialog(dialog.WRITING)
    return reply


def _cancel(t: Turn) -> str:
    t.set_dialog(None)
    return chat.cancel_text(t.session, t.actor, t.policy)


def _bind(t: Turn) -> str:
    if t.actor is not None:
        return f"您已绑定为{t.actor.name}。如需更换绑定，请联系单位平时考核管理员。"
    return chat.bind(t.session, t.store, t.policy, t.openid, t.args)


# The whole conversation, one line per command: words, who may use it, what “帮助” says, what it does.
COMMANDS: list[Command] = [
    Command(("绑定",), "anyone", "", _bind, prefix=True),
    Command(("写小结", "填写小结", "写总结", "小结"), "staff", "开始或继续填写本季度个人小结（文字、语音均可）", _write,
            when="writable"),
    Command(("预览", "查看小结"), "staff", "查看个人小结", lambda t: chat.preview(t.session, t.actor, t.policy)),
    Command(("删除上一段", "删除"), "staff", "删除最后一段", lambda t: chat.remove_last(t.session, t.actor, t.policy),
            when="writable"),
    Command(("提交",), "staff", "提交个人小结（需确认）", _submit, when="writable"),
    Command(("撤回",), "staff", "撤回已提交的小结（分管领导开始评鉴前）", _withdraw, when="submitted"),
    Command(("我的考核", "查询", "我的等次"), "staff", "本季度进度、往季等次和年度评优条件",
            lambda t: t.with_page(chat.status_text(t.session, t.actor, t.policy), MY, "手机页面查看")),
    Command(("确认结果",), "staff", "确认本季度考核结果：“确认结果 同意 [意见]”或“确认结果 有异议 <理由>”",
            lambda t: t.with_page(chat.result_confirm_text(t.session, t.actor, t.policy, t.args), MY, "手机页面确认"),
            prefix=True),
    Command(("异议",), "staff", "对考核结果提出异议：“异议 <理由>”（公示期内；已告知的年度等次可申请复核时，即为年度复核）",
            lambda t: chat.objection_text(t.session, t.actor, t.policy, t.args), prefix=True),
    Command(("年度考核", "年度等次"), "staff", "查看已告知您的年度考核等次和复核情况",
            lambda t: t.with_page(chat.annual_text(t.session, t.actor, t.policy), ANNUAL, "手机页面查看")),
    Command(("年度异议", "申请复核"), "staff", "对年度考核等次申请复核：“年度异议 <理由>”（告知后规定期限内）",
            lambda t: t.with_page(chat.annual_objection_text(t.session, t.actor, t.policy, t.args), ANNUAL,
                                  "手机页面查看"), prefix=True),
    Command(("接受答复",), "staff", "接受单位对您异议的答复",
            lambda t: chat.accept_answer_text(t.session, t.actor, t.policy)),
    Command(("申诉",), "staff", "不服单位对异议的答复，向县公务员办申诉：“申诉 <理由>”",
            lambda t: chat.escalate_text(t.session, t.actor, t.policy, t.args), prefix=True),
    Command(("通知", "我的通知", "消息"), "staff", "最近收到的通知、提醒的全文",
            lambda t: chat.notices_text(t.session, t.actor, t.policy)),
    Command(("待评",), "supervisor", "等待您评鉴的人员和截止时间",
            lambda t: t.with_page(chat.queue_text(t.session, t.actor, t.policy), QUEUE, "点此逐项打分")),
    Command(("进度",), "manager", "本单位考核进度", lambda t: chat.progress_text(t.session, t.actor, t.policy)),
    Command(("加扣分",), "unit_admin", "本单位本季度的加扣分、负面清单与问责记录（单位管理员）",
            lambda t: chat.merits_text(t.session, t.actor, t.policy)),
    Command(("取消", "退出"), "anyone", "退出当前操作", _cancel),
    Command(("帮助", "菜单", "help", "?", "？"), "anyone", "查看本说明", _help),
]

CONFIRM_WORDS = {"确认", "确定", "是", "确认提交"}
CONTINUE_WORDS = {"继续", "下一页", "更多"}


def normalize(text: str) -> str:
    return text.strip().strip("。.!！ \u3000").replace("\u3000", " ")


def find(text: str) -> tuple[Command, str] | None:
    norm = normalize(text)
    low = norm.lower()
    for command in COMMANDS:
        for word in command.words:
            if low == word.lower():
                return command, ""
            if command.prefix and norm.startswith(word):
                return command, norm[len(word):].strip()
    return None


def route_text(t: Turn, text: str, voice_media_id: str | None = None, is_voice: bool = False) -> str:
    """The reply to a text (or a voice's recognised text) from the person behind ``t.openid``."""
    found = find(text) if not is_voice or text else None
    if t.actor is None:
        if found and found[0].prefix:
            t.args = found[1]
            return found[0].run(t)
        return chat.how_to_bind(t.policy)
    state = t.dialog_state()
    if state == dialog.CONFIRM_SUBMIT:
        if normalize(text) in CONFIRM_WORDS:
            return _confirm(t)
        t.set_dialog(dialog.WRITING)
        if found is not None and found[0].run is _cancel:
            return "已取消提交，草稿已保存。继续发送可追加内容，发送“提交”可再次提交。"
        if found is None:  # new content instead of a confirmation: keep it, don't submit
            return "（未提交）" + chat.append(t.session, t.actor, t.policy, text, voice_media_id=voice_media_id,
                                          seen=t.seen)
    if found is not None:
        command, t.args = found
        if not WHO[command.who](t.actor):
            return "这项功能您暂时不能使用。发送“帮助”查看您可以做的事。"
        return command.run(t)
    if state == dialog.WRITING:
        t.set_dialog(dialog.WRITING)  # writing keeps the dialog alive
        return chat.append(t.session, t.actor, t.policy, text, voice_media_id=voice_media_id, seen=t.seen)
    if is_voice and not text:
        return "没有识别出语音内容，请再说一遍或改发文字。发送“写小结”后，文字和语音会记入个人小结。"
    return _help(t)


def read_ahead(openid: str) -> list[str]:
    """The store keys ``route`` reads (the identity, the dialog state, and for a short reply the rest of a long
    answer): fetched together with the sender's lock, in one round trip."""
    return [chat.actor_key(openid), dialog.key(openid), dialog.more_key(openid)]


def route(session: Session, store: Store, policy: Policy, message: dict[str, str],
          public_url: str = "") -> tuple[str | None, Turn]:
    """``(reply text or None for "success", turn)`` for one decoded WeChat message."""
    openid = message["FromUserName"]
    msg_type = message["MsgType"].lower()
    actor = chat.actor_for_openid(session, store, openid) if msg_type != "event" else None
    t = Turn(session, store, policy, openid, actor, public_url=public_url)
    try:
        if msg_type == "event":
            event = message.get("Event", "").lower()
            if event == "unsubscribe":
                chat.unsubscribe(session, store, openid)
                t.set_dialog(None)
                return None, t
            if event == "subscribe":
                t.actor = chat.actor_for_openid(session, store, openid)
                return chat.greet(policy, t.actor), t
            if event == "click" and message.get("EventKey"):  # a menu button carrying a command word
                t.actor = chat.actor_for_openid(session, store, openid)
                return route_text(t, message["EventKey"]), t
            return None, t
        if msg_type == "text":
            text = message.get("Content", "")
            reply = _continue_or(t, text, lambda: route_text(t, text))
        elif msg_type == "voice":
            text = message.get("Recognition", "")
            reply = route_text(t, text, voice_media_id=message.get("MediaId") or None, is_voice=True)
        elif msg_type in NOT_UNDERSTOOD:
            return _unsupported(t, msg_type), t
        else:
            return None, t
        known_not_returned = t.seen.get("summary_state", "returned") != "returned"
        if actor is not None and msg_type in ("text", "voice") and not known_not_returned:
            notice = chat.untold_returned_notice(session, store, actor.person_id, policy) if actor.person_id else None
            if notice and notice not in reply:
                reply = notice + "\n——\n" + reply
        return reply, t
    except Unauthorized as exc:
        return exc.message, t


def _continue_or(t: Turn, text: str, otherwise: Callable[[], str]) -> str:
    """The rest of a long reply is shown for “继续” (the explicit word only: a short paragraph such as “好的” is
    content). “继续” with nothing left says so and is never saved as a paragraph."""
    norm = normalize(text)
    if norm in CONTINUE_WORDS and t.actor is not None:
        rest = dialog.pop_more(t.store, t.openid)
        if rest:
            return "\n".join(rest)  # split again by the caller
        return "没有未显示完的内容了。发送“帮助”查看可以做的事。"
    return otherwise()


NOT_UNDERSTOOD = {
    "image": "图片", "video": "视频", "shortvideo": "视频", "location": "位置", "link": "链接", "file": "文件",
}


def _unsupported(t: Turn, msg_type: str) -> str:
    """An image (video, location, …) gets an answer: it is not saved anywhere, and what to do instead."""
    what = NOT_UNDERSTOOD.get(msg_type, "这类消息")
    if t.actor is None:
        return f"暂不能处理{what}。" + chat.how_to_bind(t.policy)
    return (f"暂不能接收{what}，内容没有保存。个人小结请发送文字或语音；"
            "佐证材料（图片、文件）请交给单位人事。发送“帮助”查看可以做的事。")


def handled(message: dict[str, str]) -> bool:
    """Messages with something to do; everything else is answered "success" without touching the database."""
    msg_type = message.get("MsgType", "").lower()
    if msg_type in ("text", "voice") or msg_type in NOT_UNDERSTOOD:
        return True
    event = message.get("Event", "").lower()
    return msg_type == "event" and (event in ("subscribe", "unsubscribe") or (event == "click" and bool(message.get("EventKey"))))
