"""The README's commands come from the CLI itself: every ``kaohe`` command (groups and their subcommands) is in
the README, and every ``kaohe …`` line the README shows parses with the real command (options, arguments,
required options, choices)."""
from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import click
import pytest

from bot.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def cli_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``kaohe``, groups included: ('cycle',), ('cycle', 'open'), …"""
    out = []
    for name, cmd in sorted(group.commands.items()):
        if cmd.hidden:
            continue
        out.append(prefix + (name,))
        if isinstance(cmd, click.Group):
            out += cli_paths(cmd, prefix + (name,))
    return out


def readme_spans() -> list[str]:
    text = re.sub(r"```.*?```", "", README.read_text(encoding="utf-8"), flags=re.S)  # fenced blocks are not spans
    return [s for s in re.findall(r"`([^`\n]+)`", text) if s.startswith("kaohe ")]


def expand(span: str) -> list[list[str]]:
    """A README command line as the argument lists it stands for: ``[…]`` parts present, ``a|b`` inside one
    word becomes each alternative, ``[--x … | --y …]`` takes the first alternative, ``…`` stands as a value."""
    tokens = shlex.split(span.replace("\\|", "|").replace("…", "X").replace("[", " [ ").replace("]", " ] "))
    kept, depth, skip_to = [], 0, None
    for tok in tokens:
        if tok == "[":
            depth += 1
            continue
        if tok == "]":
            depth -= 1
            if skip_to is not None and depth < skip_to:
                skip_to = None
            continue
        if skip_to is not None:
            continue
        if tok == "|":  # alternatives of whole options inside brackets: the first one stands
            skip_to = depth
            continue
        kept.append(tok.split("|"))
    return [list(combo) for combo in itertools.product(*kept)]


def parse(argv: list[str]) -> None:
    """Resolve the command path, then parse the rest strictly. A README placeholder (“Y”, “<id>”, “FILE.xlsx”)
    standing where a typed value goes is replaced by a sample of that type; everything else must parse as is."""
    assert argv[0] == "kaohe"
    cmd, rest, path = main, argv[1:], ["kaohe"]
    while isinstance(cmd, click.Group):
        assert rest, f"{' '.join(path)}：缺少子命令"
        sub = cmd.get_command(click.Context(cmd), rest[0])
        assert sub is not None, f"{' '.join(path)} 没有子命令 {rest[0]}"
        path.append(rest[0])
        cmd, rest = sub, rest[1:]
    args, positional = [], iter(p for p in cmd.params if isinstance(p, click.Argument))
    options = {opt: p for p in cmd.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    i = 0
    while i < len(rest):
        tok = rest[i]
        if tok == "--help":
            return  # “kaohe export --help”: the command exists; its help is its own
        if tok.startswith("-"):
            assert tok in options, f"{' '.join(path)} 没有选项 {tok}"
            param = options[tok]
            args.append(tok)
            if not param.is_flag:
                i += 1
                assert i < len(rest), f"{' '.join(path)} {tok} 缺少值"
                args.append(_typed(param, rest[i]))
        else:
            param = next(positional, None)
            assert param is not None, f"{' '.join(path)}：多余的参数 {tok}"
            args.append(_typed(param, tok))
        i += 1
    for param in cmd.params:  # an interactive prompt (a password) is typed, not written in the README
        if isinstance(param, click.Option) and param.prompt and not set(param.opts) & set(args):
            args += [param.opts[0], "X"]
    cmd.make_context(" ".join(path), args)  # raises on a missing required option or argument


def _typed(param: click.Parameter, value: str) -> str:
    try:
        param.type.convert(value, param, None)
        return value
    except click.BadParameter:
        if isinstance(param.type, click.Choice):
            raise
        if isinstance(param.type, click.Path):
            return str(README)
        if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):  # and their ranges
            return str(getattr(param.type, "min", None) or 1)
        if isinstance(param.type, click.DateTime):
            return "2026-01-05"
        return value


SPANS = readme_spans()


def test_every_command_of_the_cli_is_in_the_readme():
    shown = {tuple(argv[1:1 + n]) for span in SPANS for argv in expand(span) for n in range(1, len(argv))}
    missing = [" ".join(("kaohe", *p)) for p in cli_paths() if p not in shown]
    assert missing == []


@pytest.mark.parametrize("span", SPANS)
def test_every_readme_command_line_parses(span):
    for argv in expand(span):
        try:
            parse(argv)
        except click.ClickException as error:
            pytest.fail(f"{' '.join(argv)}: {error.format_message()}")


def test_the_checker_catches_what_the_issue_found():
    with pytest.raises(click.ClickException):
        parse(["kaohe", "annual"])  # --year is required
    with pytest.raises(AssertionError):
        parse(["kaohe", "oversight", "board", "--yaer", "2026"])
    with pytest.raises(AssertionError):
        parse(["kaohe", "nosuch"])
    assert expand("kaohe filing accept\\|return --id N [--reason …]") == [
        ["kaohe", "filing", "accept", "--id", "N", "--reason", "X"],
        ["kaohe", "filing", "return", "--id", "N", "--reason", "X"]]
