"""Long work started from a page (a roster of thousands, a county export, a province's annual roll-up) runs in a
background thread owned by the web process, never past a web worker's timeout; the page polls its state and
downloads the result when ready. State lives in the store (Redis in production) under ``job:<id>`` so any
worker can answer the poll; the result file is kept in the process's temporary directory.

    job = jobs.start(actor, "导出花名册", work)   # work(progress) -> (file_name, bytes) or a dict
    jobs.state(job_id, actor) -> {"state", "progress", "message", "result"?, "file_name"?}
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import threading
from typing import Callable

from handlers.errors import DomainError, NotFound

log = logging.getLogger(__name__)
TTL = 3600
_DIR = os.path.join(tempfile.gettempdir(), "kaohe-jobs")


def _key(job_id: str) -> str:
    return f"job:{job_id}"


def start(store, actor, title: str, work: Callable[[Callable[[int, str], None]], object]) -> str:
    """Run ``work(progress)`` in a thread; ``progress(percent, message)`` reports along the way. ``work`` returns
    ``(file_name, data: bytes)`` for a download, or any JSON-able value."""
    job_id = secrets.token_urlsafe(12)
    owner = actor.ref

    def save(**value) -> None:
        store.set(_key(job_id), json.dumps({"owner": owner, "title": title, **value}, ensure_ascii=False), ttl=TTL)

    def progress(percent: int, message: str = "") -> None:
        save(state="running", progress=max(0, min(int(percent), 99)), message=message)

    def run() -> None:
        try:
            result = work(progress)
            if isinstance(result, tuple):
                file_name, data = result
                os.makedirs(_DIR, exist_ok=True)
                with open(os.path.join(_DIR, job_id), "wb") as out:
                    out.write(data)
                save(state="done", progress=100, message="已完成", file_name=file_name)
            else:
                save(state="done", progress=100, message="已完成", result=result)
        except DomainError as exc:
            save(state="failed", progress=100, message=exc.message, details=exc.details)
        except Exception:  # a job must always end in a state the page can show
            log.exception("background job %s failed", title)
            save(state="failed", progress=100, message="处理失败，请稍后再试；如持续出现请联系管理员")

    progress(0, "已开始")
    threading.Thread(target=run, name=f"job-{job_id}", daemon=True).start()
    return job_id


def state(store, job_id: str, actor) -> dict:
    raw = store.get(_key(job_id)) if job_id and len(job_id) <= 32 else None
    value = json.loads(raw) if raw else None
    if value is None or value["owner"] != actor.ref:
        raise NotFound("找不到该任务或任务已过期")
    return value


def result_file(store, job_id: str, actor) -> tuple[str, str]:
    """``(path, file_name)`` of a finished job's download."""
    value = state(store, job_id, actor)
    path = os.path.join(_DIR, job_id)
    if value.get("state") != "done" or not value.get("file_name") or not os.path.exists(path):
        raise NotFound("文件尚未生成或已过期")
    return path, value["file_name"]
