"""The Official Account's custom menu (自定义菜单): links to the phone pages, set and read through wechatpy's menu
API (real HTTP to ``KAOHE_WECHAT_API_BASE``) with the one shared access token.

Each entry opens ``/m/login?next=<page>``, which starts WeChat's web authorization at once. A menu cannot carry a
direct ``connect/oauth2/authorize`` address safely: its ``state`` could not be tied to the browser that comes back,
so anybody's code could be replayed into somebody else's browser. ``/m/login`` ties the state to a cookie first.
"""
from __future__ import annotations

from urllib.parse import quote

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from handlers.errors import Unavailable
from handlers.outbound.links import DECIDE, MY, QUEUE, SUMMARY

NOTICES = "/m/notices"


def _entry(name: str, public_url: str, page: str) -> dict:
    return {"type": "view", "name": name, "url": f"{public_url.rstrip('/')}/m/login?next={quote(page, safe='/')}"}


def definition(public_url: str) -> dict:
    """At most 3 top-level buttons (WeChat's limit): 我的考核 · 写小结 · 打分/审定/通知."""
    return {"button": [
        _entry("我的考核", public_url, MY),
        _entry("写小结", public_url, SUMMARY),
        {"name": "打分·通知", "sub_button": [
            _entry("打分", public_url, QUEUE), _entry("审定等次", public_url, DECIDE), _entry("通知", public_url, NOTICES),
        ]},
    ]}


def _client(settings, store) -> WeChatClient:
    from bot.channels import oa_tokens

    token = oa_tokens(settings, store).get()
    client = WeChatClient(settings.wechat_appid, settings.wechat_secret, access_token=token, timeout=10,
                          auto_retry=False)
    client.API_BASE_URL = f"{settings.wechat_api_base.rstrip('/')}/cgi-bin/"  # an instance setting, nothing patched
    return client


def push(settings, store) -> dict:
    menu = definition(settings.public_url)
    try:
        _client(settings, store).menu.create(menu)
    except WeChatClientException as exc:
        raise Unavailable(f"微信拒绝设置菜单（错误码 {exc.errcode}：{exc.errmsg}）", "wechat_menu",
                          wechat_errcode=exc.errcode) from None
    return menu


def show(settings, store) -> dict | None:
    """The menu as WeChat has it now, or None when none is set (46003)."""
    try:
        return _client(settings, store).menu.get()
    except WeChatClientException as exc:
        if exc.errcode == 46003:
            return None
        raise Unavailable(f"读取菜单失败（错误码 {exc.errcode}：{exc.errmsg}）", "wechat_menu",
                          wechat_errcode=exc.errcode) from None
