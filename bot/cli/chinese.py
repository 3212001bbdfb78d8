"""Click's own usage errors in Chinese: ``Missing option '--year'`` → ``缺少选项 '--year'``.

Click raises its usage errors (missing or unknown options, invalid values, unknown commands) with English
messages. ``KaoheGroup.main`` catches them at the top of the ``kaohe`` command, rewrites the message through the
table below (the phrases are those of click 8's messages) and prints usage, error and hint in Chinese, exit 2.
An English phrase the table does not know is shown as it is, never lost.
"""
from __future__ import annotations

import re
import sys

import click

# (pattern, replacement) applied in order to the message; the first group of phrases are the frames, the second
# the values' own problems (the part after “Invalid value for …:”).
PHRASES: list[tuple[str, str]] = [
    (r"^Missing option '(.+?)'\.?", r"缺少选项 \1"),
    (r"^Missing argument '(.+?)'\.?", r"缺少参数 \1"),
    (r"^Missing parameter '(.+?)'\.?", r"缺少参数 \1"),
    (r"^Missing command\.?", "缺少子命令"),
    (r"^No such option:? '?([^'\s.]+)'?\.?", r"没有选项 \1"),
    (r"\s*Did you mean '?(.+?)'?\?$", r"（您是不是要用 \1？）"),
    (r"\(Possible options: (.+?)\)", r"（可能的选项：\1）"),
    (r"^No such command '(.+?)'\.?", r"没有命令“\1”"),
    (r"^Got unexpected extra arguments? \((.+?)\)", r"多余的参数：\1"),
    (r"^Option '(.+?)' requires an argument\.?", r"选项 \1 需要一个值"),
    (r"^Option '(.+?)' requires (\d+) arguments\.?", r"选项 \1 需要 \2 个值"),
    (r"^Option '(.+?)' does not take a value\.?", r"选项 \1 不需要值"),
    (r"^Invalid value for '?(.+?)'?: ", r"\1 的值无效："),
    (r"^Invalid value: ", "值无效："),
    (r"'(.*?)' is not a valid integer( range)?\.?", r"“\1”不是有效的整数"),
    (r"'(.*?)' is not a valid float( range)?\.?", r"“\1”不是有效的数字"),
    (r"'(.*?)' is not a valid boolean\.?", r"“\1”不是有效的是/否值"),
    (r"'(.*?)' is not one of (.+?)\.?$", r"“\1”不是可选值之一：\2"),
    (r"'(.*?)' is not (.+?)\.?$", r"“\1”应为 \2"),
    (r"(\S+) is not in the range (.+?)\.?$", r"\1 不在范围 \2 内"),
    (r"'(.*?)' does not match the formats? (.+?)\.?$", r"“\1”格式不正确，应为 \2"),
    (r"(File|Directory|Path) '(.*?)' does not exist\.?", r"文件或目录“\2”不存在"),
    (r"(File|Directory|Path) '(.*?)' is a directory\.?", r"“\2”是目录，应为文件"),
    (r"(File|Directory|Path) '(.*?)' is a file\.?", r"“\2”是文件，应为目录"),
    (r"(File|Directory|Path) '(.*?)' is not readable\.?", r"文件“\2”不可读"),
    (r"(File|Directory|Path) '(.*?)' is not writable\.?", r"文件“\2”不可写"),
]


def translate(message: str) -> str:
    for pattern, replacement in PHRASES:
        message = re.sub(pattern, replacement, message)
    return message


def show(error: click.UsageError) -> None:
    """Usage line, hint and the error, all in Chinese, on stderr."""
    ctx = error.ctx
    if ctx is not None:
        pieces = " ".join(ctx.command.collect_usage_pieces(ctx)).replace("[OPTIONS]", "[选项]")
        pieces = pieces.replace("COMMAND [ARGS]...", "子命令 [参数]...")
        click.echo(f"用法：{ctx.command_path} {pieces}".rstrip(), err=True)
        click.echo(f"运行“{ctx.command_path} --help”查看帮助。", err=True)
    click.echo(f"错误：{translate(error.format_message())}", err=True)


class KaoheGroup(click.Group):
    """The top ``kaohe`` group: Click's usage errors (raised anywhere below it) are printed in Chinese."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            show(error)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"错误：{translate(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("已中止。", err=True)
            sys.exit(1)
        sys.exit(0)
