"""Private servers for fault tests: a Redis and a PostgreSQL of our own on free ports, to kill and restart at will.

Never the machine's shared instances (6379, 5432): those other people's tests depend on."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answers on 127.0.0.1:{port}")


class PrivateRedis:
    """``redis-server`` without persistence on a free port: ``kill()`` is SIGKILL, ``start()`` comes back empty."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "PrivateRedis":
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    stop = kill


class PrivatePostgres:
    """A throwaway cluster (initdb as the ``postgres`` user when run as root) on a free port. ``stop()`` is a fast
    shutdown (connections are cut, as in a crash or a restart), ``start()`` brings it back with its data."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="kaohe-pg-")
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")
        subprocess.run([*self._as, f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E",
                        "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self._as, f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> "PrivatePostgres":
        self._ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
