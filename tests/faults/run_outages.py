"""Fault run, on demand (not collected by pytest): ``kaohe serve`` on a private PostgreSQL and a private Redis,
driven by chat writers and Mini Program API writers while Redis is killed for 20 s and PostgreSQL is stopped for
15 s. Prints per phase the answers (200 / 500 / 503 / other), then lost, doubled and recovery seconds, and the
server's log lines (stack traces, outage lines).

    .venv/bin/python tests/faults/run_outages.py [--chat 4] [--api 2] [--workers 2] [--redis-down 20] [--pg-down 15]

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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import requests  # noqa: E402

from tests.faults.procs import PrivatePostgres, PrivateRedis, free_port, wait_port  # noqa: E402

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
    from handlers.actor import system_actor
    from handlers.binding import issue_bind_code
    from handlers.cycles import open_cycle
    from models import WeChatBinding, utcnow
    from models.db import Database
    from models.migrate import upgrade
    from tests import factories as f
    from config import load_policy

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chat", type=int, default=12)
    ap.add_argument("--api", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redis-down", type=float, default=20)
    ap.add_argument("--pg-down", type=float, default=15)
    ap.add_argument("--settle", type=float, default=8)
    args = ap.parse_args()

    from bot.simulator.fake_wechat import FakeWeChat, FakeWeChatServer

    pg, redis = PrivatePostgres().start(), PrivateRedis().start()
    fake = FakeWeChatServer(FakeWeChat()).start()
    url = pg.create_database("kaohe")
    codes, api_people = seed(url, args.chat, args.api)
    port = free_port()
    log_path = os.path.join(pg.dir, "serve.log")
    env = {**os.environ, "KAOHE_DATABASE_URL": url, "KAOHE_REDIS_URL": redis.url(), "KAOHE_ENV": "test",
           "KAOHE_WECHAT_AES_KEY": AES_KEY, "KAOHE_WECHAT_API_BASE": fake.url, "KAOHE_LOGIN_LIMIT_PER_IP": "100000"}
    kaohe = os.path.join(os.path.dirname(sys.executable), "kaohe")
    with open(log_path, "w") as log_file:
        server = subprocess.Popen([kaohe, "serve", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"],
                                  env=env, stdout=log_file, stderr=subprocess.STDOUT)
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
        ready = {}
        rec.phase = "redis-down"
        redis.kill()
        time.sleep(args.redis_down / 2)
        ready["redis-down"] = requests.get(f"{base}/readyz", timeout=5).status_code
        time.sleep(args.redis_down / 2)
        redis.start()
        with rec.lock:
            rec.phase, rec.ended["redis"] = "after-redis", time.monotonic()
        time.sleep(args.settle)
        ready["after-redis"] = requests.get(f"{base}/readyz", timeout=5).status_code
        rec.phase = "pg-down"
        pg.stop()
        time.sleep(args.pg_down / 2)
        ready["pg-down"] = requests.get(f"{base}/readyz", timeout=5).status_code
        time.sleep(args.pg_down / 2)
        pg.start()
        with rec.lock:
            rec.phase, rec.ended["postgresql"] = "after-pg", time.monotonic()
        time.sleep(args.settle)
        ready["after-pg"] = requests.get(f"{base}/readyz", timeout=5).status_code
        stop.set()
        for t in threads:
            t.join(timeout=90)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
        fake.stop()
    saved = paragraphs_by_person(url)
    redis.kill()
    log = open(log_path, encoding="utf-8", errors="replace").read()
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
    traces = log.count("Traceback (most recent call last)")
    outage_lines = len(re.findall(r"unavailable", log))
    print(f"server log: {traces} stack traces, {outage_lines} outage lines "
          f"({len([ln for ln in log.splitlines() if 'kaohe.outage' in ln or 'is unavailable' in ln])} database/Redis 503 lines)")
    for line in [ln for ln in log.splitlines() if "unavailable" in ln or "Redis is back" in ln][:12]:
        print("  " + line[:200])
    return 0


if __name__ == "__main__":
    sys.exit(main())
