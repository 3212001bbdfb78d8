"""The county office's and unit HR's endpoints: notices and work groups, oversight boards (charts as data),
spot checks, 双备案 filings, annual uses and document download links.

Views only parse → call the same ``handlers/`` functions the CLI uses, with ``ctx.actor`` → render. The handlers
decide who may do what (county office: everything; unit HR: its own unit where a unit is named; others: 404/403).
A refusal is audited here (``access.denied`` / ``access.forbidden``), like every other API refusal.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.results import annual_uses as A
from handlers import audit
from handlers.county import filings, oversight
from handlers.outbound import groups, notices
from handlers.identity.access import filing_for_viewer
from handlers.results.documents import Params, documents
from handlers.results.documents.tokens import issue_download
from handlers.errors import DomainError, Forbidden, NotFound
from models import Notice, Unit

from . import api
from . import county_schemas as C
from .registry import Ctx

NOTICES, OVERSIGHT, FILING, ANNUAL, DOCS = "通知与工作群", "县级监督", "双备案", "结果运用", "文书下载"


def _guarded(ctx: Ctx, object_type: str, object_id, fn, *args, **kwargs):
    """Call the handler; a refusal (404 out of scope, 403 not allowed) is audited and kept although the request
    fails. The county office's own misses (an id that does not exist) are not refusals."""
    try:
        return fn(*args, **kwargs)
    except (NotFound, Forbidden) as exc:
        if ctx.actor.is_county and isinstance(exc, NotFound):
            raise
        action = "access.forbidden" if isinstance(exc, Forbidden) else "access.denied"
        audit.record(ctx.db, ctx.actor, action, object_type, object_id, None, {"reason": exc.code or "out_of_scope"})
        raise _keep(exc) from None


def _keep(exc: DomainError) -> DomainError:
    return exc.keeping_changes()


def _local(ctx: Ctx, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(ctx.policy.timezone)).strftime("%Y-%m-%d %H:%M")


def _page(ctx: Ctx, rows) -> tuple[list, int]:
    """Page an iterable the handler streams: keep only this page, count the rest."""
    total, items = 0, []
    for row in rows:
        if ctx.offset <= total < ctx.offset + ctx.per_page:
            items.append(row)
        total += 1
    return items, total


# ---- notices and work groups --------------------------------------------------------------------------------------
def _notice_out(ctx: Ctx, notice: Notice) -> C.NoticeOut:
    r = notices.report(ctx.db, ctx.actor, notice.id)
    return C.NoticeOut(id=notice.id, kind=r.kind, title=notice.title, body=notice.body, link=notice.link,
                       state=notice.state, status=r.status, audience=list(notice.audience or []), send_at=r.send_at,
                       send_at_local=_local(ctx, r.send_at), created_by=notice.created_by, total=r.total,
                       sent=r.sent, pending=r.pending, progress=r.progress)


@api.endpoint("POST", "/notices", body=C.NoticeIn, response=C.NoticeOut, status=201, idempotent=True, tag=NOTICES,
              summary="县公务员办发布通知（立即或定时）；按接收范围生成送达记录")
def create_notice(ctx: Ctx, body: C.NoticeIn):
    notice = _guarded(ctx, "notice", None, notices.compose, ctx.db, ctx.actor, title=body.title, body=body.body,
                      to=body.to, link=body.link, send_at=body.send_at)
    return _notice_out(ctx, notice)


@api.endpoint("GET", "/notices", response=C.NoticeOut, paginated=True, tag=NOTICES,
              summary="通知列表（含提醒、通报草稿），最新在前，附发送进度")
def list_notices(ctx: Ctx):
    rows = _guarded(ctx, "notice", None, notices.list_notices, ctx.db, ctx.actor, ctx.per_page, ctx.offset)
    return [_notice_out(ctx, n) for n in rows], notices.count_notices(ctx.db, ctx.actor)


@api.endpoint("GET", "/notices/<int:notice_id>", response=C.NoticeOut, tag=NOTICES, summary="通知详情与发送进度")
def get_notice(ctx: Ctx, notice_id: int):
    _guarded(ctx, "notice", notice_id, notices.report, ctx.db, ctx.actor, notice_id)
    return _notice_out(ctx, ctx.db.get(Notice, notice_id))


@api.endpoint("GET", "/notices/<int:notice_id>/report", response=C.NoticeReportOut, tag=NOTICES,
              summary="送达报告：已送达、待发送、失败、拒收、已撤回人数与失败原因")
def notice_report(ctx: Ctx, notice_id: int):
    r = _guarded(ctx, "notice", notice_id, notices.report, ctx.db, ctx.actor, notice_id)
    return C.NoticeReportOut(**{k: v for k, v in r.as_dict().items() if k not in ("rows", "send_at")},
                             send_at=r.send_at, send_at_local=_local(ctx, r.send_at))


@api.endpoint("GET", "/notices/<int:notice_id>/deliveries", response=C.DeliveryRowOut, paginated=True, tag=NOTICES,
              summary="送达明细：每个接收人（或工作群）的渠道、状态、错误原因（分页）")
def notice_deliveries(ctx: Ctx, notice_id: int):
    r = _guarded(ctx, "notice", notice_id, notices.report, ctx.db, ctx.actor, notice_id, with_rows=True,
                 row_offset=ctx.offset, row_limit=ctx.per_page)
    return r.rows, r.total


@api.endpoint("POST", "/notices/<int:notice_id>/cancel", response=C.CancelOut, tag=NOTICES, errors=(409,),
              summary="撤回尚未发出的通知（已发出的不受影响）")
def cancel_notice(ctx: Ctx, notice_id: int):
    stopped = _guarded(ctx, "notice", notice_id, notices.cancel, ctx.db, ctx.actor, notice_id)
    return C.CancelOut(notice_id=notice_id, stopped=stopped)


@api.endpoint("POST", "/notices/<int:notice_id>/send", body=C.SendDraftIn, response=C.NoticeOut, idempotent=True,
              tag=NOTICES, errors=(409,), summary="发送草稿（如调度器生成的进度通报），可改接收范围和发送时间")
def send_draft(ctx: Ctx, body: C.SendDraftIn, notice_id: int):
    notice = _guarded(ctx, "notice", notice_id, notices.send_draft, ctx.db, ctx.actor, notice_id, to=body.to,
                      send_at=body.send_at)
    return _notice_out(ctx, notice)


def _group_out(g) -> C.GroupOut:
    return C.GroupOut(id=g.id, name=g.name, wecom_key=groups.mask_key(g.wecom_key), oa_tag_id=g.oa_tag_id)


@api.endpoint("POST", "/groups", body=C.GroupIn, response=C.GroupOut, status=201, tag=NOTICES, errors=(409,),
              summary="登记工作群（企业微信群机器人 key 和/或公众号标签）")
def add_group(ctx: Ctx, body: C.GroupIn):
    return _group_out(_guarded(ctx, "work_group", None, groups.add_group, ctx.db, ctx.actor, body.name,
                               wecom_key=body.wecom_key, oa_tag_id=body.oa_tag_id))


@api.endpoint("GET", "/groups", response=C.GroupOut, paginated=True, tag=NOTICES,
              summary="工作群列表（机器人 key 已遮盖）")
def list_groups(ctx: Ctx):
    items, total = _page(ctx, _guarded(ctx, "work_group", None, groups.list_groups, ctx.db, ctx.actor))
    return [_group_out(g) for g in items], total


# ---- oversight ----------------------------------------------------------------------------------------------------
@api.endpoint("GET", "/county/progress", response=C.BoardOut, query=C.BoardQuery, tag=OVERSIGHT,
              summary="全县进度看板：各单位、各层次已交小结/已评鉴/已审定/已公示、逾期环节（含图表数据）；"
                      "可筛选、排序、分页")
def county_progress(ctx: Ctx, query: C.BoardQuery):
    paged = query.page is not None
    return _guarded(ctx, "unit", query.unit, oversight.progress_board, ctx.db, ctx.actor, ctx.policy, query.year,
                    query.quarter, unit_name=query.unit, q=query.q, late_only=query.late, sort=query.sort,
                    offset=(query.page - 1) * query.per_page if paged else 0,
                    limit=query.per_page if paged else None)


@api.endpoint("GET", "/county/grades", response=C.GradesOut, query=C.PeriodQuery, tag=OVERSIGHT,
              summary="等次分布与好等次名额执行情况（含图表数据）")
def county_grades(ctx: Ctx, query: C.PeriodQuery):
    return _guarded(ctx, "unit", query.unit, oversight.grade_distribution, ctx.db, ctx.actor, ctx.policy,
                    query.year, query.quarter, unit_name=query.unit)


@api.endpoint("GET", "/county/anomalies", response=C.AnomaliesOut, query=C.AnomalyQuery, tag=OVERSIGHT,
              summary="异常情况：全部为好、超名额、得分完全相同、连续多季度分布相同、小结雷同")
def county_anomalies(ctx: Ctx, query: C.AnomalyQuery):
    items = _guarded(ctx, "unit", None, oversight.anomalies, ctx.db, ctx.actor, ctx.policy, query.year,
                     query.quarter, include_duplicates=query.duplicates)
    counts: dict[str, int] = {}
    for a in items:
        counts[a["label"]] = counts.get(a["label"], 0) + 1
    return C.AnomaliesOut(year=query.year, quarter=query.quarter, items=items,
                          chart=[C.ChartItem(label=k, value=v) for k, v in counts.items()])


@api.endpoint("GET", "/county/duplicates", response=C.DuplicatesOut, query=C.DuplicateQuery, tag=OVERSIGHT,
              summary="个人小结雷同：同单位同事之间、本人与上季度（相似度、共同段落）")
def county_duplicates(ctx: Ctx, query: C.DuplicateQuery):
    return _guarded(ctx, "unit", query.unit, oversight.near_duplicates, ctx.db, ctx.actor, ctx.policy, query.year,
                    query.quarter, unit_name=query.unit, limit=query.limit)


@api.endpoint("POST", "/county/spot-checks", body=C.SpotCheckIn, response=C.SpotCheckOut, status=201, tag=OVERSIGHT,
              summary="随机抽取抽查的单位和人员（记录随机种子，可复现）")
def draw_spot_check(ctx: Ctx, body: C.SpotCheckIn):
    return _guarded(ctx, "spot_check", None, oversight.draw_spot_check, ctx.db, ctx.actor, ctx.policy, body.year,
                    body.quarter, seed=body.seed, units=body.units, people_per_unit=body.people_per_unit)


@api.endpoint("GET", "/county/spot-checks", response=C.SpotCheckListItem, query=C.SpotCheckListQuery, paginated=True,
              tag=OVERSIGHT, summary="历次抽查（最新在前）：抽中的单位、人数和发现的问题数")
def list_spot_checks(ctx: Ctx, query: C.SpotCheckListQuery):
    return _guarded(ctx, "spot_check", None, oversight.list_spot_checks, ctx.db, ctx.actor, ctx.policy,
                    offset=ctx.offset, limit=ctx.per_page, year=query.year)


@api.endpoint("GET", "/county/spot-checks/<int:spot_check_id>", response=C.SpotCheckOut, tag=OVERSIGHT,
              summary="抽查详情：抽中的单位和人员、已记录的问题")
def get_spot_check(ctx: Ctx, spot_check_id: int):
    return _guarded(ctx, "spot_check", spot_check_id, oversight.spot_check_view, ctx.db, ctx.actor, spot_check_id)


@api.endpoint("POST", "/county/spot-checks/<int:spot_check_id>/findings", body=C.FindingIn, response=C.FindingOut,
              status=201, tag=OVERSIGHT, summary="记录抽查发现的问题（抽中的单位，可指明抽中的人员）")
def add_finding(ctx: Ctx, body: C.FindingIn, spot_check_id: int):
    return _guarded(ctx, "spot_check", spot_check_id, oversight.add_finding, ctx.db, ctx.actor, spot_check_id,
                    body.unit, body.text, staff_no=body.staff_no)


@api.endpoint("GET", "/county/spot-checks/<int:spot_check_id>/circular", response=C.CircularOut, tag=OVERSIGHT,
              summary="根据抽查问题生成通报稿（标题和正文）")
def circular_draft(ctx: Ctx, spot_check_id: int):
    today = datetime.now(ZoneInfo(ctx.policy.timezone)).date()
    return _guarded(ctx, "spot_check", spot_check_id, oversight.circular_draft, ctx.db, ctx.actor, ctx.policy,
                    spot_check_id, today=today)


@api.endpoint("POST", "/county/spot-checks/<int:spot_check_id>/circular", body=C.CircularSendIn,
              response=C.NoticeOut, status=201, idempotent=True, tag=OVERSIGHT,
              summary="把通报作为通知发出（默认发给各单位平时考核管理员）")
def send_circular(ctx: Ctx, body: C.CircularSendIn, spot_check_id: int):
    today = datetime.now(ZoneInfo(ctx.policy.timezone)).date()
    notice = _guarded(ctx, "spot_check", spot_check_id, oversight.send_circular, ctx.db, ctx.actor, ctx.policy,
                      spot_check_id, to=body.to, send_at=body.send_at, today=today)
    return _notice_out(ctx, notice)


@api.endpoint("GET", "/county/filing-status", response=C.FilingStatusOut, query=C.YearQuery, tag=OVERSIGHT,
              summary="双备案情况：各单位年初方案及人员、各季度人员异动和结果备案（含图表数据）")
def filing_status(ctx: Ctx, query: C.YearQuery):
    return _guarded(ctx, "unit", query.unit, oversight.filing_status, ctx.db, ctx.actor, ctx.policy, query.year,
                    unit_name=query.unit)


# ---- 双备案 filings -------------------------------------------------------------------------------------------------
@api.endpoint("POST", "/dual-filings", body=C.DualFilingIn, response=C.DualFilingOut, status=201, idempotent=True,
              tag=FILING, errors=(409,), summary="单位管理员报送年初方案及人员备案或某季度人员异动备案（退回后可重新报送）")
def submit_dual_filing(ctx: Ctx, body: C.DualFilingIn):
    return _guarded(ctx, "unit", body.unit, filings.submit_filing, ctx.db, ctx.actor, ctx.policy, body.kind,
                    body.unit, body.year, body.quarter)


@api.endpoint("GET", "/dual-filings/<int:filing_id>", response=C.DualFilingOut, tag=FILING,
              summary="备案详情及报送时的快照")
def get_dual_filing(ctx: Ctx, filing_id: int):
    filing = filing_for_viewer(ctx.db, ctx.actor, filing_id)
    return filings.filing_view(filing, ctx.db.get(Unit, filing.unit_id).name)


@api.endpoint("POST", "/dual-filings/<int:filing_id>/review", body=C.DualReviewIn, response=C.DualFilingOut,
              tag=FILING, errors=(403, 409), summary="县公务员办审核备案：通过，或退回并说明原因")
def review_dual_filing(ctx: Ctx, body: C.DualReviewIn, filing_id: int):
    return _guarded(ctx, "filing", filing_id, filings.review_filing, ctx.db, ctx.actor, filing_id, body.action,
                    body.reason)


# ---- annual uses --------------------------------------------------------------------------------------------------
def _today(ctx: Ctx):
    return datetime.now(ZoneInfo(ctx.policy.timezone)).date()


@api.endpoint("GET", "/annual/rows", response=C.YearRowOut, paginated=True, query=C.AnnualRowsQuery, tag=ANNUAL,
              summary="年度汇总：每人四个季度等次、年度结论与年内展望（分页，可按年内展望筛选）")
def annual_rows(ctx: Ctx, query: C.AnnualRowsQuery):
    found = _guarded(ctx, "unit", query.unit, A.year_page, ctx.db, ctx.actor, ctx.policy, query.year,
                     unit_name=query.unit, status=query.status, offset=ctx.offset, limit=ctx.per_page,
                     today=_today(ctx))
    return [r.as_dict() for r in found.rows], found.total


@api.endpoint("GET", "/annual/summary", response=C.AnnualSummaryOut, query=C.YearQuery, tag=ANNUAL,
              summary="年度汇总图表数据：按展望状态、按年度最高等次计数")
def annual_summary(ctx: Ctx, query: C.YearQuery):
    return _guarded(ctx, "unit", query.unit, A.annual_summary, ctx.db, ctx.actor, ctx.policy, query.year,
                    unit_name=query.unit, today=_today(ctx))


@api.endpoint("GET", "/annual/candidates", response=C.CandidateOut, paginated=True, query=C.CandidateQuery,
              tag=ANNUAL, summary="选拔任用（promotion）或培训（training）参考名单，按好等次次数排序")
def annual_candidates(ctx: Ctx, query: C.CandidateQuery):
    return _page(ctx, _guarded(ctx, "unit", query.unit, A.candidates, ctx.db, ctx.actor, ctx.policy, query.year,
                               kind=query.kind, quarter=query.quarter, unit_name=query.unit, tier=query.tier,
                               min_good=query.min_good,
                               today=_today(ctx)))


@api.endpoint("GET", "/annual/honours", response=C.YearRowOut, paginated=True, query=C.YearQuery, tag=ANNUAL,
              summary="具备评优秀条件的人员（优先确定者在前）")
def annual_honours(ctx: Ctx, query: C.YearQuery):
    return _page(ctx, _guarded(ctx, "unit", query.unit, A.honours, ctx.db, ctx.actor, ctx.policy, query.year,
                               unit_name=query.unit, today=_today(ctx)))


@api.endpoint("GET", "/annual/talks", response=C.TalkOut, paginated=True, query=C.PeriodQuery, tag=ANNUAL,
              summary="谈话提醒：一般/较差或等次下降的人员、谈话人、是否已谈话（分管领导不填单位时看自己负责的）")
def talk_reminders(ctx: Ctx, query: C.PeriodQuery):
    return _page(ctx, _guarded(ctx, "unit", query.unit, A.talk_reminders, ctx.db, ctx.actor, ctx.policy, query.year,
                               query.quarter, unit_name=query.unit))


@api.endpoint("POST", "/annual/talks", body=C.TalkIn, response=C.TalkRecordedOut, status=201, tag=ANNUAL,
              errors=(409,), summary="记录提醒谈话已进行（评鉴人、单位管理员或县公务员办）")
def record_talk(ctx: Ctx, body: C.TalkIn):
    return _guarded(ctx, "person", body.staff_no, A.record_talk, ctx.db, ctx.actor, ctx.policy, body.staff_no,
                    body.year, body.quarter, held_on=body.held_on, note=body.note,
                    held_by_staff_no=body.held_by_staff_no)


# ---- documents ----------------------------------------------------------------------------------------------------
@api.endpoint("GET", "/documents", response=C.DocumentsOut, tag=DOCS,
              summary="可下载的文书及各自需要的参数（unit、year、quarter、person、kind、tier）")
def list_documents(ctx: Ctx):
    return C.DocumentsOut(items=[C.DocumentOut(name=d.name, title=d.title, suffix=d.suffix, needs=list(d.needs),
                                               note=d.note) for d in documents().values()])


@api.endpoint("POST", "/documents/<name>/link", body=C.LinkIn, response=C.LinkOut, status=201, tag=DOCS,
              summary="生成短时有效的下载链接（立即检查参数和权限；GET 链接即下载 docx/xlsx/html）")
def document_link(ctx: Ctx, body: C.LinkIn, name: str):
    params = Params(**body.model_dump())
    return _guarded(ctx, "document", name, issue_download, ctx.db, ctx.actor, ctx.policy, ctx.settings.secret_key,
                    name, params)
