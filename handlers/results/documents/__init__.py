"""The documents the system produces, by name: what each needs and how it is rendered.

``render(session, actor, policy, name, params, out)`` writes the file to ``out`` and returns its file name;
the CLI (``kaohe export``) and the download route (signed, short-lived tokens) both go through here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import BinaryIO, Callable

from sqlalchemy.orm import Session

from config.policy import Policy

from handlers.actor import Actor
from handlers.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Params:
    unit: str | None = None
    year: int | None = None
    quarter: int | None = None
    person: str | None = None
    kind: str | None = None  # candidates: promotion | training
    tier: str | None = None
    objection: int | None = None  # 异议编号: the objection's letters

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Document:
    name: str
    title: str
    suffix: str
    needs: tuple[str, ...]  # params that must be given
    render: Callable[[Session, Actor, Policy, Params, BinaryIO], str]
    note: str = ""

    @property
    def media_type(self) -> str:
        return {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "html": "text/html; charset=utf-8"}[self.suffix]


def _registry() -> dict[str, Document]:
    from handlers.results import annual_uses as A
    from handlers.results.documents import forms as F
    from handlers.results.documents import html_forms as H
    from handlers.results.documents import letters as L
    from handlers.results.documents import sheets as S

    docs = [
        Document("registration", "平时考核登记表", "docx", ("person", "year", "quarter"),
                 lambda s, a, p, x, o: F.registration_form(s, a, p, x.person, x.year, x.quarter, o), "一人一季度"),
        Document("evaluation", "考核评鉴表", "docx", ("person", "year", "quarter"),
                 lambda s, a, p, x, o: F.evaluation_form(s, a, p, x.person, x.year, x.quarter, o), "一人一季度"),
        Document("registration-html", "平时考核登记表", "html", ("person", "year", "quarter"),
                 lambda s, a, p, x, o: H.registration_html(s, a, p, x.person, x.year, x.quarter, o),
                 "一人一季度，可直接用浏览器打印的 A4 网页"),
        Document("evaluation-html", "考核评鉴表", "html", ("person", "year", "quarter"),
                 lambda s, a, p, x, o: H.evaluation_html(s, a, p, x.person, x.year, x.quarter, o),
                 "一人一季度，可直接用浏览器打印的 A4 网页"),
        Document("results", "结果一览表", "xlsx", ("unit", "year", "quarter"),
                 lambda s, a, p, x, o: S.result_list(s, a, p, x.unit, x.year, x.quarter, o), "一个单位一季度，按考评组分组"),
        Document("county-results", "全县结果汇总表", "xlsx", ("year", "quarter"),
                 lambda s, a, p, x, o: S.county_result_table(s, a, p, x.year, x.quarter, o), "全县各单位，流式生成"),
        Document("changes", "人员异动备案表", "xlsx", ("year", "quarter"),
                 lambda s, a, p, x, o: S.changes_sheet(s, a, p, x.unit, x.year, x.quarter, o), "不给单位时为全县"),
        Document("annual-filing", "年初备案表", "xlsx", ("unit", "year"),
                 lambda s, a, p, x, o: S.annual_filing(s, a, p, x.unit, x.year, o), "考核方案与年初人员名册"),
        Document("annual", "年度汇总表", "xlsx", ("year",),
                 lambda s, a, p, x, o: A.export_annual(s, a, p, x.year, o, unit_name=x.unit), "每人四个季度与年度结论"),
        Document("candidates", "选拔任用/培训参考名单", "xlsx", ("year",),
                 lambda s, a, p, x, o: A.export_candidates(s, a, p, x.year, o, unit_name=x.unit,
                                                           kind=x.kind or "promotion", tier=x.tier,
                                                           quarter=x.quarter),
                 "名单的等次、次数和季度范围见政策文件；--kind training 为培训名单，--quarter 为截至季度"),
        Document("honours", "评优条件名单", "xlsx", ("year",),
                 lambda s, a, p, x, o: A.export_honours(s, a, p, x.year, o, unit_name=x.unit), "具备评优秀条件的人员"),
        Document("talks", "谈话提醒名单", "xlsx", ("year", "quarter"),
                 lambda s, a, p, x, o: A.export_talks(s, a, p, x.year, x.quarter, o, unit_name=x.unit),
                 "一般/较差或等次下降，含谈话人与是否已谈话"),
        Document("objection-accept", "异议受理通知书", "docx", ("objection",),
                 lambda s, a, p, x, o: L.objection_letter(s, a, p, x.objection, "accept", o),
                 "一件异议（本人、其单位管理员、县公务员办）"),
        Document("objection-decision", "复核决定书", "docx", ("objection",),
                 lambda s, a, p, x, o: L.objection_letter(s, a, p, x.objection, "decision", o),
                 "一件已答复的异议（本人、其单位管理员、县公务员办）"),
    ]
    return {d.name: d for d in docs}


DOCUMENTS: dict[str, Document] = {}  # filled on first use (imports stay lazy)


def documents() -> dict[str, Document]:
    if not DOCUMENTS:
        DOCUMENTS.update(_registry())
    return DOCUMENTS


LABELS = {"unit": "单位", "year": "年度", "quarter": "季度", "person": "人员编号", "objection": "异议编号"}


def get_document(name: str) -> Document:
    doc = documents().get(name)
    if doc is None:
        raise NotFound(f"没有名为“{name}”的文书；可用：{'、'.join(documents())}")
    return doc


def check_params(doc: Document, params: Params) -> None:
    missing = [LABELS[n] for n in doc.needs if getattr(params, n) in (None, "")]
    if missing:
        raise InvalidInput(f"导出《{doc.title}》需要：{'、'.join(missing)}")
    if params.quarter is not None and params.quarter not in (1, 2, 3, 4):
        raise InvalidInput("季度只能是 1 到 4")
    if params.year is not None and not 2000 <= params.year <= 2100:
        raise InvalidInput("年度无效")


def render(session: Session, actor: Actor, policy: Policy, name: str, params: Params, out: BinaryIO) -> str:
    doc = get_document(name)
    check_params(doc, params)
    return doc.render(session, actor, policy, params, out)
