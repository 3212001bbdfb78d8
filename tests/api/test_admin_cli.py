"""``kaohe admin create|disable``."""
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from handlers.admin_accounts import verify_password
from models import AdminAccount
from tests import factories as f


def test_admin_create_and_disable(database_url, db, session, redis_url):
    unit = f.unit(session)
    hr = f.person(session, unit, roles=("unit_admin",), name="李人事")
    session.commit()
    env = {"KAOHE_DATABASE_URL": database_url, **({"KAOHE_REDIS_URL": redis_url} if redis_url else {})}
    runner = CliRunner()
    r = runner.invoke(main, ["admin", "create", "--username", "li", "--person", hr.staff_no, "--totp",
                             "--password", "a strong password"], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "已创建管理员账号 li" in r.output and "otpauth://totp/kaohe:li?secret=" in r.output
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == "li"))
    assert verify_password("a strong password", account.password_hash) and account.totp_secret in r.output
    r = runner.invoke(main, ["admin", "create", "--username", "li2", "--person", hr.staff_no,
                             "--password", "short"], env=env, catch_exceptions=False)
    assert r.exit_code == 1 and "密码至少 12 位" in r.output
    r = runner.invoke(main, ["admin", "disable", "--username", "li"], env=env, catch_exceptions=False)
    assert r.exit_code == 0 and "已停用 li" in r.output
    session.expire_all()
    assert session.scalar(select(AdminAccount.disabled).where(AdminAccount.username == "li")) is True
