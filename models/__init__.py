"""Typed SQLAlchemy 2 models. Importing this package registers every table on ``Base.metadata``."""
from .access import AdminAccount, ApiSession
from .audit import AuditEntry
from .chat import ChatDialog, WeChatInbound
from .cycle import (CommitteeDecision, Cycle, Evaluation, Filing, Indicator, Objection, ResultSignoff, Summary,
                    SummaryRevision)
from .db import Base, Database, utcnow
from .identity import BindCode, WeChatBinding
from .leave import LeaveRecord, Secondment
from .merits import MeritEvent
from .outbound import Delivery, Notice, WorkGroup
from .org import County, Membership, Person, RoleGrant, Section, Tier, Unit
from .results import AnnualResult, SpotCheck, SpotFinding, TalkRecord

__all__ = [
    "AdminAccount", "ApiSession", "AuditEntry", "Base", "BindCode", "CommitteeDecision", "County", "Cycle", "Database", "Evaluation",
    "Filing", "Indicator", "Membership", "Person", "RoleGrant", "Section", "Summary", "SummaryRevision",
    "Tier", "Unit", "WeChatBinding", "WeChatInbound", "ChatDialog", "utcnow",
    "SpotCheck", "SpotFinding", "TalkRecord", "Objection", "ResultSignoff",
    "Delivery", "Notice", "WorkGroup",
    "LeaveRecord", "Secondment",
    "MeritEvent", "AnnualResult",
]
