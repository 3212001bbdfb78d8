"""The ``kaohe`` command. Each module contributes its ``COMMANDS``; this list is the whole CLI."""
from __future__ import annotations

import click

from . import (
    admin,
    annual,
    binding,
    cycle,
    db,
    merits,
    notice,
    results,
    roster,
    run,
    secondment,
    wechat,
)
from .chinese import KaoheGroup
from .common import Context

MODULES = [run, db, roster, annual, binding, cycle, admin, results, merits, secondment, notice, wechat]


@click.group(cls=KaoheGroup, help="kaohe — 公务员平时考核系统")
@click.pass_context
def main(click_ctx: click.Context):
    ctx = click_ctx.ensure_object(Context)
    click_ctx.call_on_close(ctx.close)


for _module in MODULES:
    for _command in _module.COMMANDS:
        main.add_command(_command)
