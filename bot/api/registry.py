"""A small endpoint registry: one decorator declares method, path, body/response schemas and the rules of the
call (auth, If-Match, Idempotency-Key, pagination). The same pydantic models validate requests and responses and
produce the OpenAPI 3.1 document, so the document cannot drift from the code.

    @api.endpoint("PUT", "/evaluations/<int:evaluation_id>/scores", body=ScoreSave, response=ScoreOut,
                  summary="保存评分", tag="评鉴", if_match=True)
    def save_scores(ctx: Ctx, body: ScoreSave, evaluation_id: int):
        return handler(ctx.db, ctx.actor, ..., expected_version=ctx.version)
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, ValidationError

from handlers.errors import InvalidInput, NotFound, PreconditionRequired, TooManyRequests
from handlers.identity.sessions import SessionPolicy, resolve

from ..ext import services

PREFIX = "/api/v1"
IDEMPOTENCY_TTL = 24 * 3600
MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # far beyond any list here; keeps OFFSET well inside a bigint
MAX_PATH_ID = 2 ** 31 - 1
NUL_MESSAGE = "请求内容不正确：文本中不能包含空字符（\\u0000）"

PROBLEMS = {
    "missing": "缺少必填字段", "extra_forbidden": "不允许的字段", "string_too_long": "文本过长",
    "string_too_short": "文本过短", "too_long": "条目过多", "too_short": "条目过少",
    "greater_than_equal": "数值过小", "less_than_equal": "数值过大", "greater_than": "数值过小",
    "less_than": "数值过大", "json_invalid": "不是有效的 JSON", "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内", "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD", "string_pattern_mismatch": "格式不正确", "model_type": "应为对象",
    "dict_type": "应为对象", "list_type": "应为数组", "string_type": "应为文本", "int_type": "应为整数",
    "float_type": "应为数字", "bool_type": "应为 true 或 false", "finite_number": "应为有限数字",
    "int_from_float": "应为整数", "value_error": "取值无效", "multiple_of": "数值步长不正确",
    "timezone_aware": "时间须带时区（如 2026-05-01T09:00:00+08:00）", "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601", "datetime_type": "时间格式应为 ISO 8601",
    "int_parsing": "应为整数", "float_parsing": "应为数字", "bool_parsing": "应为 true 或 false",
}


def validation_error(exc: ValidationError) -> InvalidInput:
    errors = []
    for e in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in e["loc"]) or "(请求体)"
        problem = PROBLEMS.get(e["type"], "取值无效")
        ctx = e.get("ctx") or {}
        limit = ctx.get("max_length") or ctx.get("le") or ctx.get("ge") or ctx.get("min_length")
        if limit is not None and e["type"] in ("string_too_long", "too_long", "less_than_equal", "greater_than_equal",
                                              "string_too_short", "too_short"):
            problem += f"（限制 {limit}）"
        errors.append({"field": where, "problem": problem, "type": e["type"]})
    first = errors[0] if errors else {"field": "", "problem": "请求内容不正确"}
    return InvalidInput(f"请求内容不正确：{first['field']} {first['problem']}", "invalid_body", errors=errors)


class Ctx:
    """What a view gets: the unit of work (opened on first use), the actor, services, paging and version."""

    def __init__(self, services_, actor=None, session_id: int | None = None):
        self.services = services_
        self.actor = actor
        self.session_id = session_id
        self.version: int | None = None
        self.page = 1
        self.per_page = 20
        self._db = None

    @property
    def db(self):
        if self._db is None:
            self._cm = self.services.db.session()
            self._db = self._cm.__enter__()
        return self._db

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def store(self):
        return self.services.store

    @property
    def policy(self):
        return self.services.policy

    @property
    def settings(self):
        return self.services.settings

    @property
    def client_ip(self) -> str:
        return client_ip(self.settings.trusted_proxy_hops)

    def finish(self, exc: BaseException | None) -> None:
        if self._db is None:
            return
        cm, self._db = self._cm, None
        if exc is None:
            cm.__exit__(None, None, None)
        else:
            cm.__exit__(type(exc), exc, exc.__traceback__)


def client_ip(hops: int) -> str:
    if hops > 0:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"


@dataclass
class Endpoint:
    method: str
    rule: str
    view: Callable
    body: type[BaseModel] | None
    response: Any
    summary: str
    tag: str
    auth: bool
    if_match: bool
    idempotent: bool
    paginated: bool
    status: int
    query: type[BaseModel] | None
    errors: tuple[int, ...] = field(default=())


def page_model(item: type[BaseModel]) -> type[BaseModel]:
    from pydantic import create_model

    return create_model(f"{item.__name__}Page", items=(list[item], ...), page=(int, ...), per_page=(int, ...),
                        total=(int, ...))


class Api:
    def __init__(self, name: str = "api"):
        self.bp = Blueprint(name, __name__, url_prefix=PREFIX)
        self.endpoints: list[Endpoint] = []
        self._pages: dict[type, type] = {}

    def endpoint(self, method: str, rule: str, *, body: type[BaseModel] | None = None, response: Any = None,
                 summary: str, tag: str, auth: bool = True, if_match: bool = False, idempotent: bool = False,
                 paginated: bool = False, status: int = 200, query: type[BaseModel] | None = None,
                 errors: tuple[int, ...] = ()):
        def register(fn: Callable) -> Callable:
            ep = Endpoint(method, rule, fn, body, response, summary, tag, auth, if_match, idempotent, paginated,
                          status, query, errors)
            if paginated and response is not None and response not in self._pages:
                self._pages[response] = page_model(response)
            self.endpoints.append(ep)
            view = self._wrap(ep)
            view.__name__ = fn.__name__
            self.bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
            return fn

        return register

    def _wrap(self, ep: Endpoint) -> Callable:
        def view(**path):
            svc = services()
            actor, sid = None, None
            if ep.auth:
                header = request.headers.get("Authorization", "")
                token = header[7:].strip() if header[:7].lower() == "bearer " else None
                actor, sid = resolve(svc.db.session, svc.store, SessionPolicy.from_settings(svc.settings), token)
            if any(isinstance(v, int) and v > MAX_PATH_ID for v in path.values()):
                raise NotFound("找不到请求的内容")  # beyond any id the database can hold
            _refuse_nul(path, request.args)
            ctx = Ctx(svc, actor, sid)
            g.api_ctx = ctx
            kwargs = dict(path)
            if ep.body is not None:
                raw = request.get_data(cache=False)
                try:
                    kwargs["body"] = ep.body.model_validate_json(raw or b"{}")
                except ValidationError as exc:
                    raise validation_error(exc) from None
                if b"\\u0000" in raw and _has_nul(json.loads(raw)):  # a raw NUL byte is already invalid JSON
                    raise InvalidInput(NUL_MESSAGE, "nul_in_text")
            if ep.query is not None:
                try:
                    args = {k: v for k, v in request.args.items() if not (ep.paginated and k in ("page", "per_page"))}
                    kwargs["query"] = ep.query.model_validate(args, strict=False)
                except ValidationError as exc:
                    raise validation_error(exc) from None
            if ep.paginated:
                ctx.page, ctx.per_page = _paging()
            if ep.if_match:
                ctx.version = _if_match()
            idem_key = None
            if ep.idempotent and "Idempotency-Key" in request.headers:  # present but empty: refused, not ignored
                idem_key, replay = _idempotency_begin(svc.store, actor, ep, request.headers["Idempotency-Key"])
                if replay is not None:
                    return replay
            try:
                result = ep.view(ctx, **kwargs)
                response = self._render(ep, ctx, result)
                ctx.finish(None)
            except BaseException as exc:
                ctx.finish(exc)
                if idem_key:
                    svc.store.delete(idem_key)
                raise
            if idem_key:
                svc.store.set(idem_key, json.dumps({"fp": _fingerprint(), "status": response.status_code,
                                                    "body": response.get_data(as_text=True),
                                                    "etag": response.headers.get("ETag")}), ttl=IDEMPOTENCY_TTL)
            return response

        return view

    def _render(self, ep: Endpoint, ctx: Ctx, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if ep.paginated:
            items, total = result
            model = self._pages[ep.response]
            payload = model(items=items, page=ctx.page, per_page=ctx.per_page, total=total).model_dump(mode="json")
        elif isinstance(result, BaseModel):
            payload = result.model_dump(mode="json")
        elif ep.response is not None and result is not None:
            payload = ep.response.model_validate(result, from_attributes=True).model_dump(mode="json")
        else:
            payload = result if result is not None else {}
        resp = current_app.response_class(json.dumps(payload, ensure_ascii=False), status=ep.status,
                                          mimetype="application/json")
        version = payload.get("version") if isinstance(payload, dict) else None
        if isinstance(version, int):
            resp.headers["ETag"] = f'"{version}"'
        return resp


def _paging() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 20))
    except ValueError:
        raise InvalidInput("page 和 per_page 必须是整数", "bad_paging") from None
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"page 在 1 到 {MAX_PAGE} 之间，per_page 在 1 到 {MAX_PER_PAGE} 之间", "bad_paging")
    return page, per_page


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(path: dict, args) -> None:
    """One check for every text that reaches a handler: PostgreSQL refuses NUL in text and JSON, so a NUL would
    otherwise end as a 500 deep in a handler (notice bodies, summaries, findings, staff numbers, ``?unit=``…)."""
    if any(isinstance(v, str) and "\x00" in v for v in path.values()) or any(
            "\x00" in k or "\x00" in v for k, v in args.items(multi=True)):
        raise InvalidInput(NUL_MESSAGE, "nul_in_text")


_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


def _if_match() -> int:
    raw = request.headers.get("If-Match")
    if raw is None:
        raise PreconditionRequired("请在 If-Match 请求头中带上当前版本号（先读取再保存）", "version_required")
    m = _ETAG.match(raw.strip())
    if not m:
        raise InvalidInput("If-Match 应为版本号，例如 \"3\"", "bad_if_match")
    return int(m.group(1))


def _fingerprint() -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + request.get_data()).hexdigest()


def _idempotency_begin(store, actor, ep: Endpoint, key: str) -> tuple[str, Response | None]:
    key = key.strip()
    if not 8 <= len(key) <= 128:
        raise InvalidInput("Idempotency-Key 长度应为 8 到 128 个字符", "bad_idempotency_key")
    owner = actor.ref if actor else client_ip(0)
    store_key = f"api:idem:{owner}:{hashlib.sha256(key.encode()).hexdigest()}"
    if store.set(store_key, json.dumps({"pending": True}), ttl=60, nx=True):
        return store_key, None
    raw = store.get(store_key)
    saved = json.loads(raw) if raw else {"pending": True}
    if saved.get("pending"):
        raise TooManyRequests("相同的请求正在处理，请稍候", "request_in_progress", retry_after=1)
    if saved["fp"] != _fingerprint():
        raise InvalidInput("该 Idempotency-Key 已用于另一个请求", "idempotency_key_reused")
    resp = current_app.response_class(saved["body"], status=saved["status"], mimetype="application/json")
    resp.headers["Idempotent-Replayed"] = "true"
    if saved.get("etag"):
        resp.headers["ETag"] = saved["etag"]
    return "", resp
