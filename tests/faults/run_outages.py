"""Fault run, on demand (not collected by pytest): ``kaohe serve`` on a private PostgreSQL and a private Redis,
driven by chat writers and Mini Program API writers, with two ``kaohe scheduler`` processes (one leads and drains)
and two more drainers (``drain_deliveries`` as the scheduler's job runs it, in their own processes) sending a notice
to ``--recipients`` people through the local fake WeChat, while Redis is killed for 20 s and PostgreSQL is stopped
for 15 s. Prints per phase the answers (200 / 500 / 503 / other), lost, doubled and recovery seconds for the
paragraphs and the notice, when a scheduler led again after each outage, and the server's log lines (stack traces,
outage lines).

    .venv/bin/python tests/faults/run_outages.py [--chat 12] [--api 4] [--workers 2] [--redis-down 20] [--pg-down 15]
        [--schedulers 2] [--drainers 2] [--recipients 10000] [--send-rate 100] [--latency 0.05] [--ttl 10]

Needs PostgreSQL 15's server binaries (/usr/lib/postgresql/15/bin) and redis-server; run as root it initialises the
cluster as the ``postgres`` user. Never touches the machine's shared PostgreSQL or Redis.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import requests

from tests.faults.procs import PrivatePostgres, PrivateRedis, free_port, wait_port

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
TOKEN, APPID = "kaohe-demo-token", "wxdemo0000000000"
PACE = 1.6  # seconds between two paragraphs of one writer: a summary holds at most 40 paragraphs (the policy)


class Recorder:
    """Every answer, stamped with the phase it was sent in; the first success after each outage ends."""

    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "before"
        self.others: collections.Counter = collections.Counter()  # status (0 = no answer) -> count
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.ended: dict[str, float] = {}  # outage name -> monotonic time it ended
        self.first_ok: dict[tuple[str, str], float] = {}  # (outage, channel) -> first success started after the end

    def answer(self, channel: str, status: int, started: float) -> None:
        label = {200: "200", 500: "500", 503: "503"}.get(status, "other")
        if label == "other":
            with self.lock:
                self.others[status] += 1
        with self.lock:
            self.counts[f"{self.phase}/{channel}"][label] += 1
            if status == 200:
                for outage, end in self.ended.items():
                    if started >= end:
                        self.first_ok.setdefault((outage, channel), time.monotonic() - end)


def seed(url: str, n_chat: int, n_api: int):
    from config import load_policy
    from handlers.actor import system_actor
    from handlers.identity.binding import issue_bind_code
    from handlers.quarter.cycles import open_cycle
    from models import WeChatBinding, utcnow
    from models.db import Database
    from models.migrate import upgrade
    from tests import factories as f

    upgrade(url)
    db, policy = Database(url), load_policy("hengyang")
    with db.session() as s:
        unit = f.unit(s)
        boss = f.person(s, unit, "中层干部", leader=True, name="张局长", staff_no="B001")
        chat = [f.person(s, unit, supervisor=boss, name=f"写手{i}", staff_no=f"C{i:03d}") for i in range(n_chat)]
        api = [f.person(s, unit, supervisor=boss, name=f"小程序{i}", staff_no=f"M{i:03d}") for i in range(n_api)]
        for p in api:
            s.add(WeChatBinding(person_id=p.id, channel="miniapp", openid=f"o-mini-{p.staff_no}", bound_at=utcnow()))
        today = utcnow().date()
        cycle = open_cycle(s, system_actor(), unit.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
        cycle.summary_due = utcnow() + timedelta(days=3)
        codes = {p.staff_no: issue_bind_code(s, system_actor(), p.staff_no, policy).code for p in chat}
    db.dispose()
    return codes, [p.staff_no for p in api]


def seed_notice(url: str, n: int) -> int:
    """``n`` people of 县公共服务中心, each followed on the Official Account, and a notice to that unit: its delivery
    rows exist before the senders start (bulk inserts: a roster import of this size is not what is measured)."""
    from datetime import date

    from sqlalchemy import insert, select

    from handlers.outbound import notices
    from handlers.actor import system_actor
    from models import Membership, Person, WeChatBinding
    from models.db import Database
    from tests import factories as f

    db = Database(url)
    with db.session() as s:
        unit = f.unit(s, name="县公共服务中心")
        tier = f.tier(s, unit, "一般干事")
        s.execute(insert(Person), [{"staff_no": f"N{i:06d}", "name": f"收件人{i}"} for i in range(n)])
        ids = s.scalars(select(Person.id).where(Person.staff_no.like("N%"))).all()
        s.execute(insert(Membership), [{"person_id": p, "unit_id": unit.id, "tier_id": tier.id,
                                        "start_on": date(2020, 1, 1)} for p in ids])
        s.execute(insert(WeChatBinding), [{"person_id": p, "channel": "oa", "openid": f"o-notice-{p}"} for p in ids])
        notice = notices.compose(s, system_actor(), title="季度考核工作提醒", body="请各位按时完成本季度平时考核。",
                                 to=[f"unit:{unit.name}"])
        s.commit()
        nid = notice.id
    db.dispose()
    return nid


def notice_state(url: str, notice_id: int) -> tuple[int, dict[str, int], set[str]]:
    """(rows still to send, rows by state, the addresses the notice was for)."""
    from sqlalchemy import func, select

    from models.db import Database
    from models.outbound import Delivery

    db = Database(url)
    with db.session() as s:
        by_state = dict(s.execute(select(Delivery.state, func.count()).where(Delivery.notice_id == notice_id)
                                  .group_by(Delivery.state)).all())
        addresses = set(s.scalars(select(Delivery.address).where(Delivery.notice_id == notice_id,
                                                                 Delivery.channel == "template")))
    db.dispose()
    return by_state.get("pending", 0) + by_state.get("sending", 0), by_state, addresses


def drainer_process() -> None:
    """What ``--drainers`` starts: the scheduler's drain job, every 5 s, for ever, whatever fails (settings from the
    environment, as ``kaohe scheduler`` reads them)."""
    import logging

    from config import load_settings
    from scheduler.jobs import drain_deliveries
    from scheduler.service import make_runtime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    rt = make_runtime(load_settings())
    while True:
        try:
            drain_deliveries(rt)
        except Exception as exc:  # noqa: BLE001 — the database or Redis is down: the next run retries
            logging.getLogger("kaohe.faults").warning("drain failed: %s", type(exc).__name__)
        time.sleep(5)


def paragraphs_by_person(url: str) -> dict[str, list[str]]:
    from sqlalchemy import select

    from models import Person, Summary
    from models.db import Database

    db = Database(url)
    with db.session() as s:
        rows = s.execute(select(Person.staff_no, Summary.paragraphs).join(Summary, Summary.person_id == Person.id))
        out = {no: list(ps) for no, ps in rows}
    db.dispose()
    return out


def chat_writer(base: str, staff_no: str, code: str, rec: Recorder, stop: threading.Event, acked: list[str],
                refused: collections.Counter):
    """Sends paragraphs one after another; a message not answered 200 with “已记录” is retried with the same MsgId
    (as WeChat retries), until it is, for up to 60 s."""
    from bot.simulator.client import WeChatSimulator, http_transport

    sim = WeChatSimulator(http_transport(f"{base}/wechat", requests.Session(), timeout=10), TOKEN, APPID, AES_KEY,
                          "safe")
    openid = f"o-chat-{staff_no}"
    assert "绑定成功" in (sim.text(openid, f"绑定 {code}").text or "")
    assert "开始填写" in (sim.text(openid, "写小结").text or "")
    i = 0
    while not stop.is_set():
        i += 1
        text = f"{staff_no} 第{i}段"
        xml = sim.text_xml(openid, text)
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            started = time.monotonic()
            try:
                ex = sim.post(xml)
                status = ex.status
            except requests.RequestException:
                status, ex = 0, None
            rec.answer("chat", status, started)
            if status == 200 and ex.text and ex.text.startswith("已记录第"):
                acked.append(text)
                break
            if status == 200:
                refused[ex.text[:20] if ex.text else "success"] += 1  # answered, but not saved: a dropped paragraph
                break
            time.sleep(0.5)
        time.sleep(PACE)


def api_writer(base: str, fake, staff_no: str, rec: Recorder, stop: threading.Event, acked: list[str]):
    """Appends a paragraph with ``PUT /me/summary`` (If-Match); 412 after an answer that never came means the write
    did land — checked against the server's copy."""
    http = requests.Session()
    code = f"CODE-{staff_no}"
    fake.fake.add_login_code(code, f"o-mini-{staff_no}")
    r = http.post(f"{base}/api/v1/auth/login", json={"code": code}, timeout=10)
    http.headers["Authorization"] = f"Bearer {r.json()['token']}"
    mine, version, i = [], None, 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            if version is None:
                r = http.get(f"{base}/api/v1/me/summary", timeout=10)
                rec.answer("api", r.status_code, started)
                if r.status_code == 200:
                    version, mine = r.json()["version"], r.json()["paragraphs"]
                else:
                    time.sleep(0.5)
                continue
            i += 1
            new = mine + [f"{staff_no} 第{i}段"]
            r = http.put(f"{base}/api/v1/me/summary", json={"paragraphs": new}, headers={"If-Match": f'"{version}"'},
                         timeout=10)
            rec.answer("api", r.status_code, started)
            if r.status_code == 200:
                mine, version = new, r.json()["version"]
                acked.append(new[-1])
            else:
                version = None  # re-read (a 412 shows whether the write landed after all)
                time.sleep(0.5)
            r = http.get(f"{base}/api/v1/me/status", timeout=10)
            rec.answer("api", r.status_code, time.monotonic())
        except requests.RequestException:
            rec.answer("api", 0, started)
            version = None
            time.sleep(0.5)
        time.sleep(PACE)


LEADS = "已成为主调度器"


def wait_for_lead(leads, before: int, since: float, timeout: float) -> float | None:
    """Seconds from ``since`` until a scheduler logs that it leads again (``None``: none did within ``timeout``)."""
    while time.monotonic() - since < timeout:
        if leads() > before:
            return time.monotonic() - since
        time.sleep(0.1)
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chat", type=int, default=12)
    ap.add_argument("--api", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redis-down", type=float, default=20)
    ap.add_argument("--pg-down", type=float, default=15)
    ap.add_argument("--settle", type=float, default=8)
    ap.add_argument("--schedulers", type=int, default=2)
    ap.add_argument("--drainers", type=int, default=2)
    ap.add_argument("--recipients", type=int, default=10000)
    ap.add_argument("--send-rate", type=float, default=100, help="KAOHE_SEND_RATE for every sender together")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds the fake WeChat takes per call")
    ap.add_argument("--ttl", type=float, default=10, help="KAOHE_SCHEDULER_LOCK_TTL")
    ap.add_argument("--drainer-process", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.drainer_process:
        drainer_process()
        return 0

    from bot.simulator.fake_wechat import FakeWeChat, FakeWeChatServer

    pg, redis = PrivatePostgres().start(), PrivateRedis().start()
    fake = FakeWeChatServer(FakeWeChat(latency=args.latency)).start()
    url = pg.create_database("kaohe")
    codes, api_people = seed(url, args.chat, args.api)
    notice_id = seed_notice(url, args.recipients) if args.recipients else None
    port = free_port()
    log_path = os.path.join(pg.dir, "serve.log")
    env = {**os.environ, "KAOHE_DATABASE_URL": url, "KAOHE_REDIS_URL": redis.url(), "KAOHE_ENV": "test",
           "KAOHE_WECHAT_AES_KEY": AES_KEY, "KAOHE_WECHAT_API_BASE": fake.url, "KAOHE_WECOM_API_BASE": fake.url,
           "KAOHE_LOGIN_LIMIT_PER_IP": "100000", "KAOHE_SEND_RATE": str(args.send_rate),
           "KAOHE_SCHEDULER_LOCK_TTL": str(args.ttl)}
    kaohe = os.path.join(os.path.dirname(sys.executable), "kaohe")
    with open(log_path, "w") as log_file:
        server = subprocess.Popen([kaohe, "serve", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"],
                                  env=env, stdout=log_file, stderr=subprocess.STDOUT)
    sender_logs = [os.path.join(pg.dir, f"scheduler-{i}.log") for i in range(args.schedulers)]
    sender_logs += [os.path.join(pg.dir, f"drainer-{i}.log") for i in range(args.drainers)]
    senders = []
    for path in sender_logs:
        command = ([kaohe, "scheduler"] if "scheduler-" in path
                   else [sys.executable, os.path.abspath(__file__), "--drainer-process"])
        with open(path, "w") as log_file:
            senders.append(subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT))

    def leads() -> int:
        return sum(Path(p).read_text(encoding="utf-8", errors="replace").count(LEADS) for p in sender_logs)

    def delivered() -> dict[str, int]:
        return {to: n for to, n in fake.fake.delivered().items() if to.startswith("o-notice-")}
    base = f"http://127.0.0.1:{port}"
    rec, stop = Recorder(), threading.Event()
    chat_acked: dict[str, list[str]] = {no: [] for no in codes}
    api_acked: dict[str, list[str]] = {no: [] for no in api_people}
    dropped: collections.Counter = collections.Counter()
    try:
        wait_port(port, 30)
        while requests.get(f"{base}/readyz", timeout=5).status_code != 200:
            time.sleep(0.2)
        threads = [threading.Thread(target=chat_writer, args=(base, no, code, rec, stop, chat_acked[no], dropped))
                   for no, code in codes.items()]
        threads += [threading.Thread(target=api_writer, args=(base, fake, no, rec, stop, api_acked[no]))
                    for no in api_people]
        for t in threads:
            t.start()
        time.sleep(args.settle)
        ready, leader_again, sent_at = {}, {}, {}
        sent_at["redis-kill"] = sum(delivered().values())
        rec.phase = "redis-down"
        leads_before = leads()
        redis.kill()
        time.sleep(args.redis_down / 2)
        ready["redis-down"] = requests.get(f"{base}/readyz", timeout=5).status_code
        time.sleep(args.redis_down / 2)
        sent_at["redis-back"] = sum(delivered().values())
        redis.start()
        with rec.lock:
            rec.phase, rec.ended["redis"] = "after-redis", time.monotonic()
        if args.schedulers:
            leader_again["redis"] = wait_for_lead(leads, leads_before, rec.ended["redis"], args.ttl + 30)
        time.sleep(max(0.0, args.settle - (time.monotonic() - rec.ended["redis"])))
        ready["after-redis"] = requests.get(f"{base}/readyz", timeout=5).status_code
        rec.phase = "pg-down"
        sent_at["pg-stop"] = sum(delivered().values())
        leads_before = leads()
        pg.stop()
        time.sleep(args.pg_down / 2)
        ready["pg-down"] = requests.get(f"{base}/readyz", timeout=5).status_code
        time.sleep(args.pg_down / 2)
        sent_at["pg-start"] = sum(delivered().values())
        pg.start()
        with rec.lock:
            rec.phase, rec.ended["postgresql"] = "after-pg", time.monotonic()
        time.sleep(args.settle)
        ready["after-pg"] = requests.get(f"{base}/readyz", timeout=5).status_code
        stop.set()
        for t in threads:
            t.join(timeout=90)
        notice_done = None
        if notice_id is not None:  # the notice goes on after the writers stop: wait until every row is settled
            give_up = time.monotonic() + max(600.0, 3 * args.recipients / max(args.send_rate, 1))
            while time.monotonic() < give_up and notice_state(url, notice_id)[0]:
                time.sleep(1)
            notice_done = time.monotonic() - rec.ended["postgresql"]
    finally:
        stop.set()
        for p in senders:
            p.kill()
            p.wait()
        server.terminate()
        server.wait(timeout=30)
        fake.stop()
    saved = paragraphs_by_person(url)
    notice_figures = notice_state(url, notice_id) if notice_id is not None else None
    got = delivered()
    redis.kill()
    log = Path(log_path).read_text(encoding="utf-8", errors="replace")
    sender_log = "".join(Path(p).read_text(encoding="utf-8", errors="replace") for p in sender_logs)
    if os.environ.get("KAOHE_FAULTS_KEEP_LOGS"):
        Path(os.environ["KAOHE_FAULTS_KEEP_LOGS"]).write_text(sender_log, encoding="utf-8")
    pg.destroy()

    def tally(acked: dict[str, list[str]]) -> tuple[int, int, int]:
        lost = doubled = 0
        for no, texts in acked.items():
            have = collections.Counter(saved.get(no, []))
            lost += sum(1 for t in texts if have[t] == 0)
            doubled += sum(n - 1 for n in have.values() if n > 1)
        return sum(len(v) for v in acked.values()), lost, doubled

    print(f"kaohe serve --workers {args.workers}; {args.chat} chat writers, {args.api} API writers; "
          f"Redis killed {args.redis_down:.0f} s, PostgreSQL stopped {args.pg_down:.0f} s")
    print(f"{'phase/channel':24} {'200':>6} {'500':>5} {'503':>5} {'other':>6}")
    for phase in ("before", "redis-down", "after-redis", "pg-down", "after-pg"):
        for channel in ("chat", "api"):
            c = rec.counts.get(f"{phase}/{channel}", collections.Counter())
            print(f"{phase + '/' + channel:24} {c['200']:>6} {c['500']:>5} {c['503']:>5} {c['other']:>6}")
    total = collections.Counter()
    for c in rec.counts.values():
        total.update(c)
    for name, acked in (("chat paragraphs", chat_acked), ("API paragraphs", api_acked)):
        n, lost, doubled = tally(acked)
        print(f"{name}: acknowledged {n}, lost {lost}, doubled {doubled}")
    print(f"chat messages answered 200 but not saved (help text instead of 已记录): {sum(dropped.values())} {dict(dropped)}")
    print(f"answers: 500 = {total['500']}, 503 = {total['503']}, other = {total['other']} "
          f"(by status, 0 = no answer: {dict(rec.others)})")
    for outage in ("redis", "postgresql"):
        for channel in ("chat", "api"):
            v = rec.first_ok.get((outage, channel))
            print(f"recovery after {outage} returned, {channel}: "
                  + (f"{v:.2f} s to the first success" if v is not None else "no success seen"))
    print(f"/readyz: {ready}")
    if notice_figures is not None:
        pending, by_state, addresses = notice_figures
        lost = sum(1 for a in addresses if got.get(a, 0) == 0)
        doubled = sum(n - 1 for a, n in got.items() if n > 1)
        print(f"notice to {len(addresses)} people ({args.schedulers} schedulers, {args.drainers} drainers, "
              f"KAOHE_SEND_RATE {args.send_rate:g}, fake WeChat {args.latency * 1000:.0f} ms per call): "
              f"rows by state {by_state}, still pending {pending}; lost {lost}, doubled {doubled}; "
              f"all settled {notice_done:.0f} s after PostgreSQL returned")
        print(f"  sent before Redis was killed {sent_at['redis-kill']}, during the Redis outage "
              f"{sent_at['redis-back'] - sent_at['redis-kill']}, during the PostgreSQL outage "
              f"{sent_at['pg-start'] - sent_at['pg-stop']} (sent but not recorded while the database was away: "
              f"the most that may be sent twice)")
    for outage, seconds in leader_again.items():
        print(f"a scheduler led again {seconds:.1f} s after {outage} returned (TTL {args.ttl:g} s)"
              if seconds is not None else f"no scheduler led again after {outage} returned")
    print(f"scheduler/drainer logs: {sender_log.count('Traceback (most recent call last)')} stack traces, "
          f"{sender_log.count(LEADS)} times a scheduler became leader")
    traces = log.count("Traceback (most recent call last)")
    outage_lines = len(re.findall(r"unavailable", log))
    print(f"server log: {traces} stack traces, {outage_lines} outage lines "
          f"({len([ln for ln in log.splitlines() if 'kaohe.outage' in ln or 'is unavailable' in ln])} database/Redis 503 lines)")
    for line in [ln for ln in log.splitlines() if "unavailable" in ln or "Redis is back" in ln][:12]:
        print("  " + line[:200])
    return 0


if __name__ == "__main__":
    sys.exit(main())
