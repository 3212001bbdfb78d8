"""What every CLI command shares: settings, database, policy, and turning errors into one clear line."""
from __future__ import annotations

import functools
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from config import Policy, Settings, SettingsError, load_policy, load_settings
from handlers.errors import DomainError
from models.db import Database


class Context:
    """Loaded lazily, so ``kaohe --help`` works with a broken environment."""

    def __init__(self):
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None

    @property
    def policy(self) -> Policy:
        return load_policy(self.settings.policy)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.policy.timezone)).date()


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def handle_errors(fn):
    """Settings errors: one line naming the variable (exit 2). Domain errors: the Chinese message (exit 1)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SettingsError as exc:
            fail(f"配置错误：{exc}", 2)
        except DomainError as exc:
            lines = [exc.message]
            for item in (exc.details or {}).get("errors", []):
                lines.append(f"  {item}")
            fail("\n".join(lines), 1)

    return wrapper


def ensure_schema(ctx: Context) -> None:
    """Run migrations to head (idempotent)."""
    from models.migrate import upgrade

    if ctx.settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(ctx.settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(ctx.settings.database_url)
