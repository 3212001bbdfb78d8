"""Reply XML and splitting long text at WeChat's limit (2048 bytes of UTF-8 per text message)."""
from __future__ import annotations

import time

LIMIT = 2048
MORE = "\n（未完，回复“继续”查看后续）"


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, now: float | None = None) -> str:
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(now or time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content></xml>")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _head(text: str, room: int) -> int:
    """How many characters of ``text`` fit in ``room`` bytes."""
    return len(text.encode("utf-8")[:max(room, 0)].decode("utf-8", "ignore"))


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Parts of at most ``limit`` bytes. Lines are kept whole when they fit in a part; a line too long for any part
    is cut at a character boundary after filling the current part. Every part but the last leaves room for the
    continuation hint, which the caller appends."""
    if _size(text) <= limit:
        return [text]
    room = limit - _size(MORE)
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        joined = line if not current else current + "\n" + line
        if _size(joined) <= room:
            current = joined
            continue
        if _size(line) <= room:  # fits on a fresh part: keep the line whole
            parts.append(current)
            current = line
            continue
        prefix = current + "\n" if current else ""
        while _size(prefix + line) > room:  # fill up, cut, carry on
            cut = _head(line, room - _size(prefix))
            parts.append(prefix + line[:cut])
            prefix, line = "", line[cut:]
        current = prefix + line
    if current:
        parts.append(current)
    return parts
