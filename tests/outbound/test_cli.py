"""``kaohe group`` and ``kaohe notice`` as scripts use them: ids on stdout, Chinese errors, JSON reports."""
import json

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests import factories

from .conftest import bind


@pytest.fixture
def run(database_url, db):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), env={"KAOHE_DATABASE_URL": database_url}, catch_exceptions=False)

    return invoke


@pytest.fixture
def people(session):
    unit = factories.unit(session, "县财政局")
    staff = [factories.person(session, unit) for _ in range(3)]
    bind(session, staff[0])
    session.commit()
    return staff


def test_groups_and_notices_from_the_command_line(run, people, drainer):
    assert run("group", "add", "财政工作群", "--wecom-key", "robot-key-cli-01").exit_code == 0
    dup = run("group", "add", "财政工作群", "--wecom-key", "robot-key-cli-02")
    assert dup.exit_code == 1 and "已存在" in dup.output
    listed = run("group", "list")
    assert "财政工作群" in listed.output and "robo…i-01" in listed.output and "robot-key-cli-01" not in listed.output

    sent = run("notice", "send", "--title", "关于报送材料的通知", "--body", "请于周五前报送。", "--to", "unit:县财政局",
               "--to", "group:财政工作群")
    assert sent.exit_code == 0
    notice_id = int(sent.stdout.strip())
    drainer.drain()
    report = run("notice", "report", str(notice_id))
    assert "共 4：已送达 2，待发送 0，失败 2" in report.output and "未绑定微信，无法送达：2" in report.output
    exported = json.loads(run("notice", "report", str(notice_id), "--json").stdout)
    assert exported["total"] == 4 and exported["progress"] == 100 and len(exported["rows"]) == 4
    assert {r["state"] for r in exported["rows"]} == {"已送达", "失败"}
    assert f"{notice_id}\t通知\t已完成\t关于报送材料的通知\t2/4\t100%" in run("notice", "list").output
    done = run("notice", "cancel", str(notice_id))
    assert done.exit_code == 1 and "已全部发出" in done.output


def test_scheduled_notice_is_cancelled_and_bad_input_is_refused(run, people):
    later = run("notice", "send", "--title", "定时", "--body", "正文", "--to", "all", "--at", "2099-01-01 09:00")
    notice_id = later.stdout.strip()
    assert later.exit_code == 0 and "将于 2099-01-01 09:00 发送" in later.output
    cancelled = run("notice", "cancel", notice_id)
    assert cancelled.exit_code == 0 and "停止发送 1 条" in cancelled.output  # two were never reachable (not bound)
    assert "失败 2，拒收 0，已撤回 1" in run("notice", "report", notice_id).output
    for args, message in [(("--to", "unit:无此单位"), "找不到单位"), (("--to", "everyone"), "接收范围“everyone”无效"),
                          (("--to", "all", "--at", "明天"), "发送时间“明天”格式不正确")]:
        bad = run("notice", "send", "--title", "t", "--body", "b", *args)
        assert bad.exit_code == 1 and message in bad.output
    missing = run("notice", "report", "9999")
    assert missing.exit_code == 1 and "找不到编号为 9999 的通知" in missing.output


def test_a_draft_circular_is_sent_by_the_county_office(run, session, people):
    from handlers.notices import system_notice

    draft = system_notice(session, kind="circular", state="draft", dedupe_key="circular:test", title="进度通报（草稿）",
                          body="以下单位逾期未完成……", audience_specs=["role:单位管理员"])
    session.commit()
    assert f"{draft.id}\t通报\t草稿" in run("notice", "list").output
    refused = run("notice", "send-draft", str(draft.id))  # nobody is 单位管理员 here
    assert refused.exit_code == 1 and "没有任何接收人" in refused.output
    sent = run("notice", "send-draft", str(draft.id), "--to", "unit:县财政局")
    assert sent.exit_code == 0 and "接收人 3 个" in sent.output
    again = run("notice", "send-draft", str(draft.id))
    assert again.exit_code == 1 and "只有草稿可以发送" in again.output
