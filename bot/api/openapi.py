"""The OpenAPI 3.1 document, generated from the registry's endpoints and their pydantic models."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from .registry import MAX_PAGE, PREFIX, Api

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
STATUS_TEXT = {400: "请求格式不正确", 401: "未登录或登录已失效", 403: "无权进行此操作", 404: "找不到（含无权查看的对象）",
               409: "状态不允许或冲突", 412: "版本不匹配（If-Match）", 422: "请求内容不正确", 428: "缺少 If-Match 版本号",
               429: "请求过于频繁", 503: "依赖的服务暂不可用"}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


def _schema(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def build(api: Api, title: str = "kaohe 小程序 API", version: str = "1") -> dict:
    components: dict[str, Any] = {}
    error_ref = _schema(ErrorBody, components)
    paths: dict[str, dict] = {}
    for ep in api.endpoints:
        path = PREFIX + _PARAM.sub(lambda m: "{" + m.group(2) + "}", ep.rule)
        params = [{"name": m.group(2), "in": "path", "required": True,
                   "schema": {"type": "integer" if m.group(1) == "int" else "string"}}
                  for m in _PARAM.finditer(ep.rule)]
        if ep.paginated:
            params += [{"name": "page", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
                       {"name": "per_page", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}]
        if ep.query is not None:
            for name, f in ep.query.model_fields.items():
                params.append({"name": name, "in": "query", "required": f.is_required(),
                               "schema": ep.query.model_json_schema()["properties"][name]})
        if ep.if_match:
            params.append({"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
                           "description": "当前版本号（上次读取时的 ETag / version）"})
        if ep.idempotent:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                           "description": "重复提交时返回第一次的结果"})
        op: dict[str, Any] = {"operationId": ep.view.__name__, "summary": ep.summary, "tags": [ep.tag],
                              "parameters": params}
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(ep.body, components)}}}
        if ep.response is not None:
            model = api._pages[ep.response] if ep.paginated else ep.response
            ok = {"description": "成功", "content": {"application/json": {"schema": _schema(model, components)}}}
        else:
            ok = {"description": "成功"}
        responses: dict[str, Any] = {str(ep.status): ok}
        codes = set(ep.errors) | {422}
        if ep.auth:
            codes |= {401, 403, 404}  # 403: visible to the caller's role but not theirs to use (handlers/identity/access.py)
        if ep.if_match:
            codes |= {412, 428}
        for code in sorted(codes):
            responses[str(code)] = {"description": STATUS_TEXT.get(code, "错误"),
                                    "content": {"application/json": {"schema": error_ref}}}
        op["responses"] = responses
        if ep.auth:
            op["security"] = [{"bearer": []}]
        paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "公务员平时考核小程序接口。错误统一为 {code, message, details}。"},
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items())),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
