"""《平时考核登记表》 and 《考核评鉴表》 as print-ready HTML (A4), next to the docx.

Why both: HR edits the docx in Word or WPS; the HTML prints from any phone or PC browser without Office
(A4, the paper form's borders and signature lines, one page each for an ordinary quarter). Both read the same
``person_quarter`` and the same row builders in ``forms.py``, so the two show identical content. Jinja2 with
autoescape on: every name, post and summary is text, never markup. No scripts, web fonts or outside files.
"""
from __future__ import annotations

from functools import lru_cache
from typing import BinaryIO

from sqlalchemy.orm import Session

from config.policy import Policy

from handlers.actor import Actor
from handlers.results.documents import forms as F

MEDIA_TYPE = "text/html; charset=utf-8"


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("handlers.results.documents", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _write(template: str, out: BinaryIO, **context) -> None:
    out.write(_env().get_template(template).render(**context).encode("utf-8"))


def _common(pq: F.PersonQuarter, year: int, quarter: int) -> dict:
    return {"person_name": pq.person.name, "period": f"{year}年第{quarter}季度", "info": F.info_rows(pq),
            "sign": F.SIGN}


def registration_html(session: Session, actor: Actor, policy: Policy, staff_no: str, year: int, quarter: int,
                      out: BinaryIO) -> str:
    pq = F.person_quarter(session, actor, staff_no, year, quarter)
    _write("registration.html", out, title="平时考核登记表", heading="公务员平时考核登记表",
           summary=F.summary_paragraphs(pq), tail=F.registration_tail(pq, policy), **_common(pq, year, quarter))
    return f"平时考核登记表_{pq.person.staff_no}_{pq.person.name}_{year}Q{quarter}.html"


def evaluation_html(session: Session, actor: Actor, policy: Policy, staff_no: str, year: int, quarter: int,
                    out: BinaryIO) -> str:
    pq = F.person_quarter(session, actor, staff_no, year, quarter, policy)
    _write("evaluation.html", out, title="考核评鉴表", heading="公务员平时考核评鉴表", heads=F.INDICATOR_HEADS,
           indicators=F.indicator_rows(pq), tail=F.evaluation_tail(pq, policy), **_common(pq, year, quarter))
    return f"考核评鉴表_{pq.person.staff_no}_{pq.person.name}_{year}Q{quarter}.html"
