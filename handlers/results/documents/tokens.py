"""Short-lived signed download links. The token carries the document, its parameters and the actor's ref;
the download re-resolves the actor and re-checks scope, so a token never grants more than its holder had.
"""
from __future__ import annotations

import io
import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Person

from handlers.actor import Actor, actor_for_person, system_actor
from handlers.errors import NotFound, Unauthorized
from handlers.identity.scope import unit_scope
from handlers.results.documents import Params, check_params, get_document

SALT = "kaohe-download-v1"


class _ClockSigner(TimestampSigner):
    clock = staticmethod(time.time)

    def get_timestamp(self) -> int:
        return int(self.clock())


def _serializer(secret: str, clock=None) -> URLSafeTimedSerializer:
    signer = type("Signer", (_ClockSigner,), {"clock": staticmethod(clock)}) if clock else _ClockSigner
    return URLSafeTimedSerializer(secret, salt=SALT, signer=signer)


def issue_download(session: Session, actor: Actor, policy: Policy, secret: str, name: str, params: Params, *,
                   clock=None) -> dict:
    """A token for one document; fails now (not at download) if the params are wrong or out of the actor's scope."""
    doc = get_document(name)
    check_params(doc, params)
    if doc.name in _COUNTY_WIDE:  # checking scope is enough; the file is built at download
        unit_scope(session, actor, params.unit)
    else:  # one unit or one person: cheap, and it proves the document exists for these parameters
        doc.render(session, actor, policy, params, io.BytesIO())
    token = _serializer(secret, clock).dumps({"d": name, "p": params.as_dict(), "a": actor.ref})
    minutes = policy.results.download_token_minutes
    return {"token": token, "url": f"/api/v1/downloads/{token}", "document": doc.title,
            "expires_in": minutes * 60}


_COUNTY_WIDE = {"county-results", "annual", "candidates", "honours", "talks", "changes"}


def open_download(session: Session, policy: Policy, secret: str, token: str, *, clock=None) -> tuple[Actor, str, Params]:
    """Check the token: ``(actor, document name, params)``; Chinese errors for expired or forged tokens."""
    try:
        data = _serializer(secret, clock).loads(token, max_age=policy.results.download_token_minutes * 60)
    except SignatureExpired:
        raise Unauthorized("下载链接已过期，请重新生成", "token_expired") from None
    except BadSignature:
        raise Unauthorized("下载链接无效", "token_invalid") from None
    ref = data.get("a", "")
    if ref.startswith("system:"):
        actor = system_actor(ref.split(":", 1)[1])
    elif ref.startswith("person:"):
        person_id = session.scalar(select(Person.id).where(Person.staff_no == ref.split(":", 1)[1]))
        if person_id is None:
            raise NotFound("下载链接对应的人员不存在")
        actor = actor_for_person(session, person_id)
    else:
        raise Unauthorized("下载链接无效", "token_invalid")
    return actor, data["d"], Params(**data["p"])
