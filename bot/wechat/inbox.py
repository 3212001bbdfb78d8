"""Exactly one effect per WeChat message, and an answer within WeChat's 5 seconds.

1. ``SET NX wechat:seen:<key>`` in the store claims the message (``key``: ``msg:<MsgId>``, events
   ``evt:<FromUserName>:<CreateTime>:<Event>``). A retry that finds the claim gets the stored reply, or ``success`` while
   the first attempt is still running (it waits a moment for the reply first).
2. The message's effect and its ledger row (``wechat_inbound``, unique on the key, holding the reply) are written
   in ONE transaction. If Redis is down, was flushed, or a claim outlived a crashed worker, two attempts can run:
   the second one's INSERT violates the unique key, its transaction (effect included) rolls back, and it answers
   with the reply the first one stored.
3. Handling runs on a small thread pool; if it takes longer than ``budget`` seconds the HTTP answer is
   ``success`` and the reply goes out afterwards as a customer-service message.
4. One user's messages are handled one at a time (a short lock per openid in the store): a conversation is a
   sequence, and "提交" followed at once by "确认" must see the state the first one left. A lock that cannot be had
   within ``USER_WAIT`` seconds is not waited for further: the message is handled anyway, never dropped.
5. Two store round trips in the common case: the claim, the sender's lock and the keys the router reads anyway
   (``commands.read_ahead``) go in one batch; the writes that follow the commit (dialog state, the rest of a long
   reply, the stored reply) go with the lock's release in another. Each round trip is a pair of context switches
   on a busy machine, and the callback's benchmark counts them (docs/architecture.md, "Hot-path costs").
"""
from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from config.policy import Policy
from handlers.errors import DomainError
from models import WeChatInbound
from models.db import Database
from models.store import Batch, ReadAhead, Store

from .. import outage
from . import commands, dialog, replies

log = logging.getLogger(__name__)

CLAIM_TTL = 30  # a claim older than WeChat's retry interval is presumed dead and the message is handled again
DONE_TTL = 3600
STALE_AFTER = 4.5
WAIT_FOR_FIRST = 1.5  # a retry waits this long for the first attempt's reply before answering "success"
USER_LOCK_TTL = 10  # seconds; outlives any normal handling, and frees a crashed worker's lock soon
USER_WAIT = 3.0
_LEDGER = insert(WeChatInbound.__table__)


def dedupe_key(message: dict[str, str]) -> str:
    if message.get("MsgId"):
        return f"msg:{message['MsgId']}"
    # FromUserName + CreateTime, as WeChat documents; the event name keeps two different events in one second apart
    return f"evt:{message['FromUserName']}:{message['CreateTime']}:{message.get('Event', message['MsgType'])}"


@dataclass
class _Turn:
    """One sender's turn: their lock (a per-openid key with a random owner) and the store values read with it."""
    openid: str
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    locked: bool = False
    values: dict = field(default_factory=dict)
    lock: str = field(init=False)
    ahead: list[str] = field(init=False)  # the store keys the router reads (``commands.read_ahead``)

    def __post_init__(self):
        self.lock = f"wechat:user:{self.openid}"
        self.ahead = commands.read_ahead(self.openid)


@dataclass
class Outcome:
    reply: str | None  # the text to answer (None: "success")
    first: bool = True  # False: another attempt had already stored this message (this one changed nothing)
    key: str = ""


class Inbox:
    def __init__(self, db: Database, store: Store, policy: Policy, *, budget: float = 4.0,
                 send_later: Callable[[str, str], bool] | None = None, workers: int = 16, public_url: str = ""):
        self.db, self.store, self.policy, self.budget = db, store, policy, budget
        self.public_url = public_url  # replies link to the phone pages
        self.send_later = send_later
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wechat")
        self.slow_hook: Callable[[dict], None] | None = None  # tests: make handling slow on purpose

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # -- the entry point -------------------------------------------------------------------------------------------
    def receive(self, message: dict[str, str]) -> str | None:
        """The reply text for ``message`` now, or None (answer ``success``)."""
        if not commands.handled(message):
            return None  # images, links, template-send reports, …: "success", nothing stored
        key = dedupe_key(message)
        seen = f"wechat:seen:{key}"
        degraded = bool(getattr(self.store, "degraded", False))
        recheck = degraded
        turn = _Turn(message["FromUserName"])
        # One round trip: the claim on the message, the sender's lock, and the keys the router will read.
        claimed, got, *values = self.store.batch([
            ("set", seen, f"pending:{time.time()}", CLAIM_TTL, True),
            ("set", turn.lock, turn.owner, USER_LOCK_TTL, True), *(("get", k) for k in turn.ahead)])
        if got and claimed:
            turn.values = dict(zip(turn.ahead, values))
        elif got:  # a retry: never hold the sender's lock while waiting for the first attempt
            self.store.release_lock(turn.lock, turn.owner)
        turn.locked = got and claimed
        if not claimed:
            earlier = self._earlier_reply(seen)
            if earlier is not None:
                return earlier or None
            recheck = True  # the claim is stale: handle again, the database decides who wins
        degraded = degraded or bool(getattr(self.store, "degraded", False))
        future = self.pool.submit(self._handle, message, key, recheck or degraded, turn)
        try:
            outcome = future.result(timeout=self.budget)
        except FutureTimeout:
            log.warning("message %s took longer than %.1f s; answering later", key, self.budget)
            future.add_done_callback(lambda f: self._deliver_late(message["FromUserName"], f))
            return None
        except Exception:
            self.store.delete(seen)  # nothing was committed: let WeChat's retry handle it afresh
            raise
        return outcome.reply

    def _earlier_reply(self, seen: str) -> str | None:
        """The first attempt's reply ('' for "success"), or None when that attempt looks dead."""
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while True:
            value = self.store.get(seen) or ""
            if value.startswith("done:"):
                return value[5:]
            if value.startswith("pending:"):
                if time.time() - float(value[8:]) > STALE_AFTER:
                    return None
                if time.monotonic() >= deadline:
                    return ""
                time.sleep(0.05)
                continue
            return None

    def _deliver_late(self, openid: str, future) -> None:
        try:
            outcome = future.result()
            if outcome.reply and outcome.first and self.send_later and self.send_later(openid, outcome.reply):
                with self.db.session() as session:  # the ledger says how the reply went out
                    session.execute(update(WeChatInbound).where(WeChatInbound.dedupe_key == outcome.key)
                                    .values(delivery="custom"))
        except Exception as exc:
            what = outage.kind(exc)
            if what is not None:  # the database or Redis went away meanwhile: one line per interval, no trace
                outage.outages.note(what, exc)
            else:
                log.exception("late reply to %s failed", openid)

    # -- one attempt ------------------------------------------------------------------------------------------------
    def _handle(self, message: dict[str, str], key: str, recheck: bool, turn: _Turn) -> Outcome:
        deadline = time.monotonic() + USER_WAIT
        while not turn.locked and time.monotonic() < deadline:
            turn.locked = self.store.acquire_lock(turn.lock, turn.owner, USER_LOCK_TTL)
            if not turn.locked:
                time.sleep(0.02)
        store = ReadAhead(self.store, turn.values) if turn.values else self.store
        after = Batch()  # the store writes that follow the commit, sent together with the lock's release
        try:
            return self._handle_in_turn(message, key, recheck, store, after)
        finally:
            after.release_lock(turn.lock, turn.owner)  # only ours: a lock someone else holds is left alone
            self.store.batch(after.ops)

    def _handle_in_turn(self, message: dict[str, str], key: str, recheck: bool, store: Store,
                        after: Batch) -> Outcome:
        for attempt in range(5):
            try:
                reply, rest, turn, stored_before = self._transaction(message, key, recheck, store)
                break
            except IntegrityError:  # another attempt stored this message first: answer what it answered
                return Outcome(self._stored_reply(key), first=False, key=key)
            except OperationalError as exc:  # SQLite: "database is locked" under concurrent writers
                if attempt == 4 or "locked" not in str(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
                recheck = True
        if turn is not None:  # committed: now the store writes (dialog state, the rest of a long reply)
            for action in turn.later:
                action(after)
            dialog.set_more(after, message["FromUserName"], rest)  # a new reply replaces any older rest
        after.set(f"wechat:seen:{key}", "done:" + (reply or ""), ttl=DONE_TTL)
        return Outcome(reply, first=stored_before is None, key=key)

    def _transaction(self, message: dict[str, str], key: str, recheck: bool, store: Store):
        with self.db.session() as session:
            if recheck:
                stored = session.scalar(select(WeChatInbound.reply).where(WeChatInbound.dedupe_key == key))
                if stored is not None:
                    return stored or None, [], None, stored
            if self.slow_hook:
                self.slow_hook(message)
            try:
                text, turn = commands.route(session, store, self.policy, message, self.public_url)
            except DomainError as exc:
                if not exc.keep_changes:
                    session.rollback()
                text, turn = exc.message, None
            reply, rest = None, []
            if text:
                parts = replies.split(text)
                reply = parts[0] + (replies.MORE if len(parts) > 1 else "")
                rest = parts[1:]
            # a plain INSERT (not the ORM's unit of work): its unique key is what refuses a second attempt
            session.connection().execute(_LEDGER, {"dedupe_key": key, "openid": message["FromUserName"][:64],
                                                   "msg_type": message["MsgType"][:32], "reply": reply or ""})
        return reply, rest, turn, None

    def _stored_reply(self, key: str) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(WeChatInbound.reply).where(WeChatInbound.dedupe_key == key)) or None
