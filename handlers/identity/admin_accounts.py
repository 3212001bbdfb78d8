"""Password logins for unit HR and the county office (web console), without WeChat.

Passwords: scrypt (n=2^15, r=8, p=1, 16-byte salt), compared in constant time. Optional second factor: TOTP
(RFC 6238: HMAC-SHA1, 30 s steps, 6 digits, ±1 step of clock drift; a code is accepted once).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import AdminAccount, Person, RoleGrant
from models.store import Store

from handlers import audit
from handlers.actor import Actor, system_actor
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from handlers.identity.login import check_rate
from handlers.identity.sessions import NewSession, SessionPolicy, create_session, end_all_sessions

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSWORD = 12
ADMIN_ROLES = ("unit_admin", "county_admin")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=64 * 1024 * 1024, dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


_DUMMY_HASH: str | None = None


def _dummy_verify(password: str) -> None:
    """Spend the same time for unknown usernames, so they cannot be told apart by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    verify_password(password, _DUMMY_HASH)


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp(secret: str, step: int, digits: int = 6) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)


def totp_uri(secret: str, username: str, issuer: str = "kaohe") -> str:
    return f"otpauth://totp/{issuer}:{username}?secret={secret}&issuer={issuer}&digits=6&period=30"


def check_totp(account: AdminAccount, code: str, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    current = int(now // 30)
    for step in (current - 1, current, current + 1):
        if account.totp_last_step is not None and step <= account.totp_last_step:
            continue
        if hmac.compare_digest(totp(account.totp_secret, step), code):
            account.totp_last_step = step
            return True
    return False


def create_account(session: Session, actor: Actor, username: str, staff_no: str, password: str,
                   with_totp: bool = False) -> tuple[AdminAccount, str | None]:
    """County office or the operator creates an account for a person holding unit_admin or county_admin."""
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以创建管理员账号")
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInput("用户名不能为空且不超过 64 个字符", "bad_username")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", "weak_password", min=MIN_PASSWORD)
    person = session.scalar(select(Person).where(Person.staff_no == staff_no, Person.status == "active"))
    if person is None:
        raise NotFound(f"找不到人员编号为 {staff_no} 的在职人员")
    roles = set(session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == person.id)))
    if not roles & set(ADMIN_ROLES):
        raise Conflict(f"{person.name}不是单位管理员或县公务员办人员，不能创建管理员账号", "not_admin")
    if session.scalar(select(AdminAccount.id).where((AdminAccount.username == username)
                                                    | (AdminAccount.person_id == person.id))):
        raise Conflict("该用户名已被使用，或该人员已有管理员账号", "account_exists")
    secret = new_totp_secret() if with_totp else None
    account = AdminAccount(username=username, person_id=person.id, password_hash=hash_password(password),
                           totp_secret=secret, disabled=False)
    session.add(account)
    session.flush()
    audit.record(session, actor, "admin_account.create", "admin_account", username, None,
                 {"staff_no": staff_no, "totp": with_totp})
    return account, secret


def disable_account(session: Session, store: Store, actor: Actor, username: str) -> int:
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以停用管理员账号")
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username))
    if account is None:
        raise NotFound(f"找不到管理员账号 {username}")
    account.disabled = True
    audit.record(session, actor, "admin_account.disable", "admin_account", username, {"disabled": False},
                 {"disabled": True})
    return end_all_sessions(session, store, actor, account.person_id, "admin_account_disabled")


def admin_login(session: Session, store: Store, settings, sessions: SessionPolicy, username: str, password: str,
                totp_code: str | None, ip: str, kind: str = "admin") -> NewSession:
    check_rate(store, settings, ip, f"admin:{username}")
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username))
    fail = Unauthorized("用户名或密码错误", "bad_credentials")
    if account is None:
        _dummy_verify(password)
        audit.record(session, system_actor("api"), "admin.login_failed", "admin_account", username[:64], None,
                     {"reason": "unknown", "ip": ip})
        raise fail.keeping_changes()
    if not verify_password(password, account.password_hash) or account.disabled:
        audit.record(session, system_actor("api"), "admin.login_failed", "admin_account", username, None,
                     {"reason": "disabled" if account.disabled else "password", "ip": ip})
        raise (Unauthorized("账号已停用，请联系县公务员办", "account_disabled") if account.disabled
               and verify_password(password, account.password_hash) else fail).keeping_changes()
    if account.totp_secret:
        if not totp_code:
            raise Unauthorized("请输入动态验证码", "totp_required")
        if not check_totp(account, totp_code.strip()):
            audit.record(session, system_actor("api"), "admin.login_failed", "admin_account", username, None,
                         {"reason": "totp", "ip": ip})
            raise Unauthorized("动态验证码错误或已使用", "totp_invalid").keeping_changes()
    return create_session(session, store, sessions, account.person_id, kind)


# ---- the console's account list and TOTP reset (county office) --------------------------------------------------

def list_accounts(session: Session, actor: Actor, *, offset: int = 0, limit: int = 50,
                  query: str | None = None) -> tuple[list[dict], int]:
    """Admin accounts with their person, newest first; ``query`` matches username, name or staff number."""
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以查看管理员账号")
    q = select(AdminAccount, Person.staff_no, Person.name).join(Person, Person.id == AdminAccount.person_id)
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(or_(AdminAccount.username.like(like, escape="\\"), Person.name.like(like, escape="\\"),
                        Person.staff_no.like(like, escape="\\")))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.execute(q.order_by(AdminAccount.id.desc()).offset(offset).limit(limit)).all()
    roles: dict[int, set[str]] = {}
    ids = [a.person_id for a, _, _ in rows]
    for pid, role in session.execute(select(RoleGrant.person_id, RoleGrant.role).where(RoleGrant.person_id.in_(ids))):
        roles.setdefault(pid, set()).add(role)
    return [{"username": a.username, "staff_no": staff_no, "name": name, "totp": bool(a.totp_secret),
             "disabled": a.disabled, "created_at": a.created_at,
             "county": "county_admin" in roles.get(a.person_id, set())} for a, staff_no, name in rows], total


def reset_totp(session: Session, store: Store, actor: Actor, username: str) -> str:
    """A new TOTP secret for a lost or new phone (returned once, never shown again); every session of the account
    ends, so the next sign-in needs a code from the new secret. Audited (without the secret)."""
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以重置动态验证码")
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username))
    if account is None:
        raise NotFound(f"找不到管理员账号 {username}")
    before = {"totp": bool(account.totp_secret)}
    account.totp_secret, account.totp_last_step = new_totp_secret(), None
    audit.record(session, actor, "admin_account.reset_totp", "admin_account", username, before, {"totp": True})
    end_all_sessions(session, store, actor, account.person_id, "admin_totp_reset")
    return account.totp_secret
