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
    assert "部分送达" in report.output and "共 4：已送达 2，待发送 0，未绑定微信 2，发送失败 0" in report.output
    exported = json.loads(run("notice", "report", str(notice_id), "--json").stdout)
    assert exported["total"] == 4 and exported["unbound"] == 2 and exported["failed"] == 0
    assert len(exported["rows"]) == 4 and {r["state"] for r in exported["rows"]} == {"已送达", "未绑定微信"}
    assert f"{notice_id}\t通知\t部分送达\t关于报送材料的通知\t送达 2/4\t未绑定 2" in run("notice", "list").output
    done = run("notice", "cancel", str(notice_id))
    assert done.exit_code == 1 and "没有待发送的消息" in done.output and "已送达 2，未绑定微信 2" in done.output


def test_a_notice_to_people_without_wechat_is_not_reported_as_sent(run, session):
    unit = factories.unit(session, "县水利局")
    factories.person(session, unit)
    factories.person(session, unit)
    session.commit()
    sent = run("notice", "send", "--title", "通知", "--body", "正文", "--to", "unit:县水利局")
    notice_id = sent.stdout.strip()
    assert "共 2：已送达 0，未绑定微信 2" in sent.output
    report = run("notice", "report", notice_id).output
    assert "未送达" in report and "已完成" not in report
    done = run("notice", "cancel", notice_id)
    assert done.exit_code == 1 and "已全部发出" not in done.output and "已送达 0，未绑定微信 2" in done.output


def test_scheduled_notice_is_cancelled_and_bad_input_is_refused(run, people):
    later = run("notice", "send", "--title", "定时", "--body", "正文", "--to", "all", "--at", "2099-01-01 09:00")
    notice_id = later.stdout.strip()
    assert later.exit_code == 0 and "将于 2099-01-01 09:00 发送" in later.output
    cancelled = run("notice", "cancel", notice_id)
    assert cancelled.exit_code == 0 and "尚未到发送时间，没有发出任何消息" in cancelled.output
    report = run("notice", "report", notice_id).output
    assert "已撤回" in report and "尚未到发送时间" in report
    for args, message in [(("--to", "unit:无此单位"), "找不到单位"), (("--to", "everyone"), "接收范围“everyone”无效"),
                          (("--to", "all", "--at", "明天"), "发送时间“明天”格式不正确")]:
        bad = run("notice", "send", "--title", "t", "--body", "b", *args)
        assert bad.exit_code == 1 and message in bad.output
    missing = run("notice", "report", "9999")
    assert missing.exit_code == 1 and "找不到编号为 9999 的通知" in missing.output


def test_a_draft_circular_is_sent_by_the_county_office(run, session, people):
    from handlers.outbound.notices import system_notice

    draft = system_notice(session, kind="circular", state="draft", dedupe_key="circular:test", title="进度通报（草稿）",
                          body="以下单位逾期未完成……", audience_specs=["role:单位管理员"])
    session.commit()
    assert f"{draft.id}\t通报\t草稿" in run("notice", "list").output
    refused = run("notice", "send-draft", str(draft.id))  # nobody is 单位管理员 here
    assert refused.exit_code == 1 and "没有任何接收人" in refused.output
    sent = run("notice", "send-draft", str(draft.id), "--to", "unit:县财政局")
    assert sent.exit_code == 0 and "共 3：已送达 0，待发送 1，未绑定微信 2" in sent.output
    again = run("notice", "send-draft", str(draft.id))
    assert again.exit_code == 1 and "只有草稿可以发送" in again.output
