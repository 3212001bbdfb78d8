"""The roster spreadsheet's columns and the validation of one row (no database access)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from models.org import ROLES, STAFFING_TYPES, UNIT_KINDS

from handlers.results.xlsx import is_escaped, unescape_cell

# (header, field, required)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("人员编号", "staff_no", True),
    ("姓名", "name", True),
    ("单位", "unit", True),
    ("单位类型", "unit_kind", False),
    ("股室", "section", False),
    ("考评层次", "tier", True),
    ("岗位", "post", False),
    ("职级", "rank", False),
    ("是否领导", "is_leader", False),
    ("分管领导编号", "supervisor", False),
    ("手机号", "phone", False),
    ("编制类型", "staffing_type", False),
    ("录用日期", "hired_on", False),
    ("状态", "status", False),
    ("角色", "roles", False),
    ("生效日期", "effective_on", False),
)
HEADERS = {h: f for h, f, _ in COLUMNS}
FIELD_HEADER = {f: h for h, f, _ in COLUMNS}
STATUSES = {"在职": "active", "请假": "leave", "退休": "retired", "调离": "left"}
STATUS_LABELS = {v: k for k, v in STATUSES.items()}
ROLE_BY_LABEL = {label: role for role, label in ROLES.items() if role != "staff"}
YES = {"是", "Y", "y", "1", "TRUE", "true", "领导"}
NO = {"否", "N", "n", "0", "FALSE", "false", ""}
STAFF_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PHONE = re.compile(r"^1\d{10}$")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行「{self.column}」：{self.message}"


@dataclass
class RosterRow:
    row: int
    staff_no: str
    name: str
    unit: str
    tier: str
    unit_kind: str = "机关"
    section: str = ""
    post: str = ""
    rank: str = ""
    is_leader: bool = False
    supervisor: str = ""
    phone: str = ""
    staffing_type: str = "行政编制"
    hired_on: date | None = None
    status: str = "active"
    roles: tuple[str, ...] = field(default_factory=tuple)
    effective_on: date | None = None


def _text(value) -> str:
    """The cell as text, trimmed; a cell the export escaped (``safe_cell``) is unescaped exactly, untrimmed (its
    leading tab or CR is the person's data), so an unedited export re-imports as no change."""
    if value is None:
        return ""
    if isinstance(value, str) and is_escaped(value):
        return unescape_cell(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    return datetime.strptime(text, "%Y-%m-%d").date()


def validate_row(row_no: int, raw: dict[str, object], errors: list[RowError]) -> RosterRow:
    """Validate one row; append every problem to ``errors``; return the row as parsed as it can be (a wrong value
    falls back to its default), so the checks across rows still see it and the first report is complete."""
    v = {f: raw.get(f) for _, f, _ in COLUMNS}
    text = {f: _text(x) for f, x in v.items()}

    def bad(f: str, message: str) -> None:
        errors.append(RowError(row_no, FIELD_HEADER[f], message))

    for header, f, required in COLUMNS:
        if required and not text[f]:
            bad(f, "不能为空")
    if text["staff_no"] and not STAFF_NO.match(text["staff_no"]):
        bad("staff_no", "只能由字母、数字、-、_ 组成，最长 32 位")
    for f, limit in (("name", 50), ("unit", 100), ("section", 100), ("tier", 50), ("post", 100), ("rank", 50)):
        if len(text[f]) > limit:
            bad(f, f"不能超过 {limit} 个字")
    if text["unit_kind"] and text["unit_kind"] not in UNIT_KINDS:
        bad("unit_kind", f"只能是 {'、'.join(UNIT_KINDS)}")
    if text["is_leader"] not in YES | NO:
        bad("is_leader", "只能填“是”或“否”")
    if text["phone"] and not PHONE.match(text["phone"]):
        bad("phone", "应为 11 位手机号码")
    if text["staffing_type"] and text["staffing_type"] not in STAFFING_TYPES:
        bad("staffing_type", f"只能是 {'、'.join(STAFFING_TYPES)}")
    if text["status"] and text["status"] not in STATUSES:
        bad("status", f"只能是 {'、'.join(STATUSES)}")
    if text["supervisor"] and not STAFF_NO.match(text["supervisor"]):
        bad("supervisor", "应填写分管领导的人员编号")
    if text["supervisor"] and text["supervisor"] == text["staff_no"]:
        bad("supervisor", "分管领导不能是本人")
    roles = tuple(r for r in re.split(r"[、,，;；\s]+", text["roles"]) if r)
    for r in roles:
        if r not in ROLE_BY_LABEL:
            bad("roles", f"未知角色“{r}”，可填 {'、'.join(ROLE_BY_LABEL)}")
    dates = {}
    for f in ("hired_on", "effective_on"):
        if text[f]:
            try:
                dates[f] = _date(v[f])
            except ValueError:
                bad(f, "日期格式应为 YYYY-MM-DD")
    return RosterRow(
        row=row_no,
        staff_no=text["staff_no"],
        name=text["name"],
        unit=text["unit"],
        tier=text["tier"],
        unit_kind=text["unit_kind"] if text["unit_kind"] in UNIT_KINDS else "机关",
        section=text["section"],
        post=text["post"],
        rank=text["rank"],
        is_leader=text["is_leader"] in YES,
        supervisor=text["supervisor"],
        phone=text["phone"],
        staffing_type=text["staffing_type"] if text["staffing_type"] in STAFFING_TYPES else "行政编制",
        hired_on=dates.get("hired_on"),
        status=STATUSES.get(text["status"], "active"),  # an unknown status is already an error
        roles=tuple(ROLE_BY_LABEL[r] for r in roles if r in ROLE_BY_LABEL),
        effective_on=dates.get("effective_on"),
    )
