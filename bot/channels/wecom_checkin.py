"""WeCom attendance (企业微信打卡) through wechatpy's WeCom client, at ``KAOHE_WECOM_API_BASE``.

``fetcher(settings)`` returns what ``handlers.identity.leave.pull_from_wecom`` calls: ``fetch(userids, start, end)`` → the
``datas`` of ``checkin/getcheckin_monthdata`` (at most 100 users and one month per call). A refusal or an unreachable
WeCom becomes a Chinese ``Unavailable`` (503) before anything is written.
"""
from __future__ import annotations

import time

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from handlers.errors import Conflict, Unavailable


class CheckinClient(WeChatClient):
    """wechatpy's WeCom client with both its API and its token URL at our configured base (a subclass, nothing
    patched): wechatpy's own ``fetch_access_token`` always asks qyapi.weixin.qq.com, and without a timeout."""

    def __init__(self, base: str, corp_id: str, secret: str, timeout: int = 10):
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)
        self.base = base.rstrip("/")
        self.API_BASE_URL = f"{self.base}/cgi-bin/"

    def fetch_access_token(self):
        res = self._http.get(f"{self.base}/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret},
                             timeout=self.timeout)
        result = res.json() if res.ok else {"errcode": res.status_code, "errmsg": f"HTTP {res.status_code}"}
        if result.get("errcode") or "access_token" not in result:
            raise WeChatClientException(result.get("errcode"), result.get("errmsg"), client=self, response=res)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def month_data(self, userids: list[str], start: int, end: int) -> list[dict]:
        result = self.post("checkin/getcheckin_monthdata",
                           data={"starttime": start, "endtime": end, "useridlist": userids})
        return list(result.get("datas") or [])


def fetcher(settings):
    if not settings.wecom_corp_id or not settings.wecom_checkin_secret:
        raise Conflict("本系统未配置企业微信考勤（需设置 KAOHE_WECOM_CORP_ID 和 KAOHE_WECOM_CHECKIN_SECRET），"
                       "请在本页上传请假表或逐人登记", "wecom_not_configured")
    client = CheckinClient(settings.wecom_api_base, settings.wecom_corp_id, settings.wecom_checkin_secret)

    def fetch(userids: list[str], start: int, end: int) -> list[dict]:
        try:
            return client.month_data(userids, start, end)
        except WeChatClientException as exc:
            raise Unavailable(f"企业微信拒绝了考勤查询（错误码 {exc.errcode}：{exc.errmsg}），未保存任何数据",
                              "wecom_refused", wecom_errcode=exc.errcode) from None
        except requests.RequestException:
            raise Unavailable("暂时连不上企业微信，未保存任何数据，请稍后再试", "wecom_unreachable") from None

    return fetch
