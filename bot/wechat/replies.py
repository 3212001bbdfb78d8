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


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Parts of at most ``limit`` bytes, cut at line ends where possible (else at characters); every part but the
    last leaves room for the continuation hint, which the caller appends."""
    room = limit - _size(MORE)
    if _size(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else current + "\n" + line
        if _size(candidate) <= room:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        while _size(line) > room:  # one very long line: cut by characters
            cut = len(line.encode("utf-8")[:room].decode("utf-8", "ignore"))
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        parts.append(current)
    return parts
