"""WeChat template / subscribe messages to one person, and Official Account tag sends, within WeChat's limits."""
from __future__ import annotations

import re
import time
from datetime import datetime

from zoneinfo import ZoneInfo

from handlers.outbound.deliveries import QUOTA_TODAY, STORE_DOWN, TOKEN_BUDGET, TOKEN_COOLDOWN, TOKEN_REJECTED, Claimed, SendResult
from handlers.outbound.links import notice_url

from .http import Http
from .token import STALE, AccessTokens, TokenError, TokenRejected, until_wechat_midnight

DAILY_QUOTA = 45009  # this API's calls for the day are used up (WeChat resets the quota at Beijing midnight)
THING_MAX = 20  # thing.DATA: at most 20 characters (subscribe and new-style template messages)
PHRASE_MAX = 5  # phrase.DATA: at most 5 characters
TEXT_MAX = 600  # tag (mass) text: keep well within WeChat's limit
LOCAL = ZoneInfo("Asia/Shanghai")  # what people read

# The template's fields (the same keys in the Official Account template and the Mini Program subscribe template).
# thing1/thing2/time3 are in every push; phrase4 and time5 only when the message carries a grade / a deadline, so
# what matters is never cut off inside the 20-character text. The full text is one tap away (the push's link).
FIELDS = {"title": "thing1", "text": "thing2", "time": "time3", "grade": "phrase4", "deadline": "time5"}


def clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _local_time(moment: datetime | str) -> str:
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def fields(item: Claimed) -> dict:
    """The template data: title, the text's lead (``facts["lead"]``, else the text), time; grade and deadline
    each in their own field when the notice has them."""
    facts = item.facts or {}
    data = {FIELDS["title"]: {"value": clip(item.title, THING_MAX)},
            FIELDS["text"]: {"value": clip(facts.get("lead") or item.body, THING_MAX)},
            FIELDS["time"]: {"value": _local_time(item.created_at)}}
    if facts.get("grade"):
        data[FIELDS["grade"]] = {"value": clip(facts["grade"], PHRASE_MAX)}
    if facts.get("deadline"):
        data[FIELDS["deadline"]] = {"value": _local_time(facts["deadline"])}
    return data


class _TokenSender:
    """Send with the shared token; a rejected token is refreshed once (rationed, see ``token``), then one more try.
    A 45009 closes this API for every process until Beijing midnight (a key in the store): the rows wait for it
    without calling WeChat again."""

    path = ""

    def __init__(self, http: Http, tokens: AccessTokens, api_base: str, template_id: str = "", public_url: str = ""):
        self.http, self.tokens, self.url, self.template_id = http, tokens, api_base.rstrip("/") + self.path, template_id
        self.closed_key = f"wechat:quota-closed:{tokens.appid}:{self.path}"
        self.public_url = public_url  # the phone pages' address: every push links to its full text

    def payload(self, item: Claimed) -> dict:
        raise NotImplementedError

    def send(self, item: Claimed) -> SendResult:
        try:
            token, closed_until = self.tokens.get_with(self.closed_key)
            if closed_until and float(closed_until) > time.time():
                return SendResult(DAILY_QUOTA, retry_after=float(closed_until) - time.time(), reason=QUOTA_TODAY)
            result, _ = self.http.post(self.url, self.payload(item), {"access_token": token})
            if result.errcode in STALE:
                token = self.tokens.refresh(token)
                result, _ = self.http.post(self.url, self.payload(item), {"access_token": token})
                if result.errcode in STALE:  # rejected again right after a refresh: stop, say why
                    return SendResult(result.errcode, reason=TOKEN_REJECTED, final=True)
        except TokenRejected as exc:
            return SendResult(exc.errcode, reason=TOKEN_REJECTED, final=True)
        except TokenError as exc:
            if exc.retry_after is not None:
                text = {"budget": TOKEN_BUDGET, "store": STORE_DOWN}.get(exc.reason, TOKEN_COOLDOWN)
                return SendResult(exc.errcode, retry_after=exc.retry_after, reason=text)
            return SendResult(exc.errcode if exc.errcode is not None else -1, exc.network)
        if result.errcode == DAILY_QUOTA:
            wait = until_wechat_midnight()
            self.tokens.store.set(self.closed_key, str(time.time() + wait), ttl=wait)
            return SendResult(DAILY_QUOTA, retry_after=wait, reason=QUOTA_TODAY)
        return result


class TemplateSender(_TokenSender):
    path = "/cgi-bin/message/template/send"

    def payload(self, item: Claimed) -> dict:
        """Tapping the message opens its full text on the phone page (which also shows the notice's own link)."""
        body = {"touser": item.address, "template_id": self.template_id, "data": fields(item)}
        if self.public_url:
            body["url"] = notice_url(self.public_url, item.notice_id)
        elif item.link and item.link.startswith("http"):
            body["url"] = item.link
        return body


class SubscribeSender(_TokenSender):
    path = "/cgi-bin/message/subscribe/send"

    def payload(self, item: Claimed) -> dict:
        """``page`` must be a page of our Mini Program (WeChat refuses a web address there): its notice page shows
        the same full text as ``/m/notices/<id>`` (and the notice's own link)."""
        page = f"pages/notice/detail?id={item.notice_id}"
        return {"touser": item.address, "template_id": self.template_id, "page": page,
                "miniprogram_state": "formal", "lang": "zh_CN", "data": fields(item)}


class TagSender(_TokenSender):
    path = "/cgi-bin/message/mass/sendall"

    def payload(self, item: Claimed) -> dict:
        text = f"【{item.title}】\n{item.body}" + (f"\n{item.link}" if item.link else "")
        return {"filter": {"is_to_all": False, "tag_id": int(item.address)}, "msgtype": "text",
                "text": {"content": clip(text, TEXT_MAX) if len(text) > TEXT_MAX else text}}
