"""Unit HR: 双备案 (the annual plan + roster, each quarter's changes; accepted or returned with the reason) and
documents (the 登记表 and 评鉴表 of one person as docx or a print view, a tier's or the unit's forms as a zip built
in the background, the 结果一览表 as xlsx or a print view per tier or for the unit, 人员异动 and 年初备案).

Documents go through ``handlers.results.documents`` with the signed-in actor, which checks scope itself (another unit's
person or unit: 404); the unit's name comes from the unit the officer administers, never from the form.
"""
from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

from flask import Response, request

from handlers.county import filings

from handlers.identity import unit_desk

from handlers.results import documents
from handlers.results.documents import Params
from handlers.errors import InvalidInput

from ..downloads import HTML_CSP
from ..ext import services
from . import jobs
from .console import bp, render, uow
from .console_unit import current_unit, int_arg, page_unit, table, today
from .forms import act
from .session import page

FILING_COLUMNS = ("kind_label", "period", "state_label", "submitted_at", "reviewed_at", "return_reason")
#: documents a unit's HR downloads from the console (the county-wide ones stay with the county office)
UNIT_DOCUMENTS = ("registration", "evaluation", "registration-html", "evaluation-html", "results", "changes",
                  "annual-filing")


@bp.get("/console/unit/filings")
@page
def unit_filings(actor, error: str | None = None, status: int = 200):
    s = services()
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        rows = unit_desk.unit_filings(session, actor, s.policy, unit_id)
    kind = request.args.get("kind", "")
    if kind in unit_desk.FILING_KINDS:
        rows = [r for r in rows if r["kind"] == kind]
    now = today()
    return page_unit("console/unit/filings.html", actor, status, title=f"双备案 · {unit}", unit_id=unit_id, unit=unit,
                     units=units, kinds=unit_desk.FILING_KINDS, kind=kind, error=error, year=now.year,
                     quarter=(now.month - 1) // 3 + 1,
                     t=table(rows, FILING_COLUMNS, "submitted_at", unit=unit_id, kind=kind or None))


@bp.post("/console/unit/filings")
@page
def unit_filing_submit(actor):
    kind = request.form.get("kind", "")
    year, quarter = int_arg("year"), int_arg("quarter", default=0)
    def work(session):
        unit_id, unit, _ = current_unit(session, actor)
        filings.submit_filing(session, actor, services().policy, kind, unit, year or 0, quarter or 0)
        return unit_id

    return act(work, lambda unit_id: f"/console/unit/filings?unit={unit_id}&msg=submitted",
               lambda exc: unit_filings.__wrapped__(actor, error=exc.message, status=exc.status))


@bp.get("/console/unit/filings/<int:filing_id>")
@page
def unit_filing(actor, filing_id: int):
    with uow() as session:
        f = unit_desk.filing_detail(session, actor, services().policy, filing_id)
    return page_unit("console/unit/filing.html", actor, title=f"{f['kind_label']}备案 · {f['period']}", f=f)


# -- documents -----------------------------------------------------------------------------------------------------
@bp.get("/console/unit/documents")
@page
def unit_documents(actor):
    s = services()
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        cycles = unit_desk.unit_cycles(session, actor, s.policy, unit_id)
        cycle_id = int_arg("cycle", request.args) or (cycles[0].id if cycles else None)
        cycle = people = None
        if cycle_id:
            cycle, _, _ = unit_desk.cycle_for_unit_admin(session, actor, s.policy, cycle_id)
            people = unit_desk.cycle_people(session, actor, cycle_id)
    year, quarter = (cycle.year, cycle.quarter) if cycle else (None, None)
    tiers = sorted({p["tier"] for p in people or []})
    return page_unit("console/unit/documents.html", actor, title=f"文书导出 · {unit}", unit_id=unit_id, unit=unit,
                     units=units, cycles=cycles, c=cycle, year=year, quarter=quarter, tiers=tiers,
                     t=table(people or [], ("staff_no", "name", "tier", "post"), "staff_no", unit=unit_id,
                             cycle=cycle_id))


def _params(session, actor) -> tuple[str, Params]:
    name = request.args.get("doc", "")
    if name not in UNIT_DOCUMENTS:
        raise InvalidInput(f"没有名为“{name[:30]}”的文书", "unknown_document")
    _, unit, _ = current_unit(session, actor)
    return name, Params(unit=unit, year=int_arg("year", request.args), quarter=int_arg("quarter", request.args),
                        person=request.args.get("person", "").strip()[:32] or None)


@bp.get("/console/unit/documents/file")
@page
def unit_document_file(actor):
    s = services()
    out = io.BytesIO()
    with uow() as session:
        name, params = _params(session, actor)
        doc = documents.get_document(name)
        filename = documents.render(session, actor, s.policy, name, params, out)
    headers = {"Content-Disposition": f"{'inline' if doc.suffix == 'html' else 'attachment'}; "
                                      f"filename=\"{name}.{doc.suffix}\"; filename*=UTF-8''{quote(filename)}"}
    response = Response(out.getvalue(), content_type=doc.media_type, headers=headers)
    if doc.suffix == "html":  # the print-ready form carries its own inline styles only
        response.headers["Content-Security-Policy"] = HTML_CSP
    return response


@bp.get("/console/unit/documents/print")
@page
def unit_results_print(actor):
    """The 结果一览表 as a print view (the whole unit, or one tier with ``?tier=``)."""
    from handlers.results.documents.sheets import result_list_data

    s = services()
    with uow() as session:
        _, unit, _ = current_unit(session, actor)
        data = result_list_data(session, actor, s.policy, unit, int_arg("year") or 0, int_arg("quarter") or 0)
    tier = request.args.get("tier", "")
    if tier:
        data["tiers"] = [t for t in data["tiers"] if t["tier"] == tier]
    return page_unit("console/unit/results_print.html", actor, title=f"{unit}{data['year']}年第{data['quarter']}季度"
                     "公务员平时考核结果一览表", d=data, tier=tier)


@bp.post("/console/unit/documents/bundle")
@page
def unit_documents_bundle(actor):
    """Every person's 登记表 and 评鉴表 (docx) of a tier or of the unit, zipped, built as a background job."""
    s = services()
    tier = request.form.get("tier", "")[:50]
    with uow() as session:
        unit_id, unit, _ = current_unit(session, actor)
        cycle_id = int_arg("cycle") or 0
        cycle, _, _ = unit_desk.cycle_for_unit_admin(session, actor, s.policy, cycle_id)
        people = [p for p in unit_desk.cycle_people(session, actor, cycle_id) if not tier or p["tier"] == tier]
    year, quarter = cycle.year, cycle.quarter
    if not people:
        raise InvalidInput("该范围内没有考核对象", "nobody")

    def work(progress):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle, s.db.session() as session:
            for n, p in enumerate(people, start=1):
                for doc in ("registration", "evaluation"):
                    one = io.BytesIO()
                    filename = documents.render(session, actor, s.policy, doc,
                                                Params(person=p["staff_no"], year=year, quarter=quarter), one)
                    bundle.writestr(filename, one.getvalue())
                progress(n * 100 // len(people), f"已生成 {n} / {len(people)} 人")
        return f"考核表_{unit}{'_' + tier if tier else ''}_{year}Q{quarter}.zip", buffer.getvalue()

    job_id = jobs.start(s.store, actor, "打包考核表", work)
    return render("console/job.html", actor, title="正在生成考核表", job_id=job_id,
                  job_title=f"{tier or unit}：{len(people)} 人的登记表和评鉴表",
                  back=f"/console/unit/documents?unit={unit_id}&cycle={cycle_id}")
