"""The CLI's own argument errors are in Chinese (click's English messages are translated at the top)."""
import re

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.chinese import translate

CASES = [
    (["annual"], "缺少选项 --year"),
    (["annual", "--year", "abc"], "--year 的值无效：“abc”不是有效的整数"),
    (["annual", "--yaer", "2026"], "没有选项 --yaer（您是不是要用 --year？）"),
    (["nosuch"], "没有命令“nosuch”"),
    (["notice", "report"], "缺少参数 NOTICE_ID"),
    (["annual-list", "promotion", "--year", "2026", "--quarter", "7"], "--quarter 的值无效：7 不在范围 1<=x<=4 内"),
    (["annual-list", "promotio", "--year", "2026"], "“promotio”不是可选值之一"),
    (["export-roster", "-o"], "选项 -o 需要一个值"),
    (["talk-done", "X", "--year", "2026", "--quarter", "1", "--on", "2026-13-01"], "“2026-13-01”格式不正确"),
    (["notice", "report", "1", "extra"], "多余的参数：extra"),
]
ENGLISH = re.compile(r"Usage:|Error:|Missing|Invalid value|No such|is not|Try '|requires an argument|unexpected")


@pytest.mark.parametrize("args,expected", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_argument_errors_are_in_chinese(args, expected):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "错误：" in result.output
    assert not ENGLISH.search(result.output), result.output


def test_a_phrase_the_table_does_not_know_is_kept():
    assert translate("Something new happened.") == "Something new happened."


def test_help_and_success_still_exit_zero():
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    assert CliRunner().invoke(main, ["notice", "--help"]).exit_code == 0
