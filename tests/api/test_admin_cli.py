"""``kaohe admin create|disable``."""
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from handlers.identity.admin_accounts import verify_password
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


def test_roster_import_ends_sessions_of_people_who_left(database_url, db, session, tmp_path, redis_url):
    from openpyxl import Workbook

    from handlers.identity.sessions import SessionPolicy, create_session
    from models import ApiSession, Person
    from models.store import make_store
    from tests.handlers.test_roster import HEAD

    row = ["A001", "张局长", "县财政局", "机关", "办公室", "中层干部", "局长", "", "是", "", "13800000001", "行政编制",
           "2001-07-01", "在职", "", ""]
    clerk = ["A002", "王干事", "县财政局", "机关", "办公室", "一般干事", "综合文秘", "一级科员", "否", "A001", "13800000002",
             "行政编制", "2015-07-01", "在职", "", ""]

    def roster(rows):
        wb = Workbook()
        wb.active.append(HEAD)
        for r in rows:
            wb.active.append(r)
        path = tmp_path / f"r{len(rows)}{rows[-1][13]}.xlsx"
        wb.save(path)
        return str(path)

    env = {"KAOHE_DATABASE_URL": database_url, **({"KAOHE_REDIS_URL": redis_url} if redis_url else {})}
    runner = CliRunner()
    assert runner.invoke(main, ["import-roster", "--create-units", roster([row, clerk])], env=env).exit_code == 0
    person = session.scalar(select(Person).where(Person.staff_no == "A002"))
    store = make_store(redis_url)
    create_session(session, store, SessionPolicy(3600, 7200), person.id, "miniapp")
    session.commit()
    left = clerk[:13] + ["调离", "", ""]
    r = runner.invoke(main, ["import-roster", "--create-units", roster([row, left])], env=env, catch_exceptions=False)
    assert r.exit_code == 0 and "已结束离职/退休人员的登录会话 1 个" in r.output
    session.expire_all()
    assert session.scalar(select(ApiSession.revoked_at).where(ApiSession.person_id == person.id)) is not None
    if redis_url:
        for key in store.client.scan_iter(f"{store.prefix}api:sess:*"):
            store.client.delete(key)
        store.close()
