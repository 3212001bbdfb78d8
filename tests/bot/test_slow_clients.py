"""Clients that send their request body slowly must not block ``kaohe serve``: with four of them stalled mid-body
on a two-worker server, ``/healthz`` still answers within a second. (Sync workers were each held by one slow client
until gunicorn's 30 s timeout killed them.)"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.faults.procs import free_port, wait_port


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "KAOHE_DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}", "KAOHE_ENV": "test"}
    env.pop("KAOHE_REDIS_URL", None)
    env.pop("KAOHE_THREADS", None)
    kaohe = os.path.join(os.path.dirname(sys.executable), "kaohe")
    proc = subprocess.Popen([kaohe, "serve", "--workers", "2", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the port opens before the workers have loaded the app
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _slow_client(port: int) -> socket.socket:
    """Headers promising a 4 KiB body, then a few bytes of it, then silence (the socket stays open)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 4096\r\n\r\n{\"code\": \"")
    return s


def test_slow_bodies_do_not_block_healthz(server):
    slow = [_slow_client(server) for _ in range(4)]
    try:
        time.sleep(0.5)  # let the workers pick them up
        for s in slow:
            s.sendall(b"a")  # still trickling
        timings = []
        for _ in range(3):
            started = time.monotonic()
            r = requests.get(f"http://127.0.0.1:{server}/healthz", timeout=5)
            timings.append(time.monotonic() - started)
            assert r.status_code == 200 and r.json() == {"status": "ok"}
        assert max(timings) < 1.0, timings
    finally:
        for s in slow:
            s.close()
