"""Work groups (工作群): a WeCom group robot webhook key and/or an Official Account tag. County office only."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import WorkGroup

from handlers import audit
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput, NotFound

_KEY = re.compile(r"^[A-Za-z0-9-]{8,128}$")


def require_county(actor: Actor) -> None:
    if not actor.is_county:
        raise NotFound("只有县公务员办可以管理通知和工作群")  # NotFound: others may not learn what exists


def add_group(session: Session, actor: Actor, name: str, *, wecom_key: str | None = None,
              oa_tag_id: int | None = None) -> WorkGroup:
    require_county(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("工作群名称不能为空，且不超过 100 个字符")
    if wecom_key is not None:
        wecom_key = wecom_key.strip()
        if "key=" in wecom_key:  # the whole webhook address was pasted
            wecom_key = wecom_key.split("key=", 1)[1].split("&", 1)[0]
        if not _KEY.match(wecom_key):
            raise InvalidInput("企业微信群机器人 key 格式不正确（应为 webhook 地址中 key= 后面的部分）")
    if wecom_key is None and oa_tag_id is None:
        raise InvalidInput("请至少提供企业微信群机器人 key 或公众号标签之一")
    if session.scalar(select(WorkGroup.id).where(WorkGroup.name == name)):
        raise Conflict(f"工作群“{name}”已存在", "group_exists")
    group = WorkGroup(name=name, wecom_key=wecom_key, oa_tag_id=oa_tag_id)
    session.add(group)
    session.flush()
    audit.record(session, actor, "group.create", "work_group", group.id, None,
                 {"name": name, "wecom": bool(wecom_key), "oa_tag_id": oa_tag_id})
    return group


def list_groups(session: Session, actor: Actor) -> list[WorkGroup]:
    require_county(actor)
    return list(session.scalars(select(WorkGroup).order_by(WorkGroup.name)))


def mask_key(key: str | None) -> str:
    return "" if not key else key[:4] + "…" + key[-4:]


def get_group(session: Session, name: str) -> WorkGroup:
    group = session.scalar(select(WorkGroup).where(WorkGroup.name == name))
    if group is None:
        raise NotFound(f"找不到工作群“{name}”")
    return group
