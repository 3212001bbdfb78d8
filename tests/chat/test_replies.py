"""Splitting long replies at WeChat's 2048-byte limit."""
import pytest

from bot.wechat.replies import LIMIT, MORE, cdata, split


@pytest.mark.parametrize("text, parts", [
    ("短消息", 1),
    ("字" * 682, 1),  # 2046 bytes
    ("字" * 683, 2),  # 2049 bytes
    ("\n".join(["一行内容" * 20] * 40), 5),
    ("a" * 10000, 5),
])
def test_split(text, parts):
    result = split(text)
    assert len(result) == parts
    assert all(len((p + (MORE if i < len(result) - 1 else "")).encode()) <= LIMIT for i, p in enumerate(result))
    assert "".join(result).replace("\n", "") == text.replace("\n", "")


def test_cdata_cannot_be_closed_early():
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
