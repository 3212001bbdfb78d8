"""Late replies share the one access token the scheduler's senders use, and refresh it once when it is rejected."""
from bot.channels import oa_tokens
from bot.wechat.customer_service import CustomerService
from models.store import MemoryStore


def test_a_rejected_token_is_refreshed_once_through_the_shared_provider(fake_wechat, chat_settings):
    store = MemoryStore()
    service = CustomerService(chat_settings.wechat_api_base, oa_tokens(chat_settings, store))
    fake_wechat.fake.fail("/cgi-bin/message/custom/send", errcode=40001)

    assert service.send_text("o-late", "迟到的回复") is True

    sends = fake_wechat.fake.calls_to("/cgi-bin/message/custom/send")
    assert [c.errcode for c in sends] == [40001, 0]
    assert sends[0].args["access_token"] != sends[1].args["access_token"]
    assert len(fake_wechat.fake.calls_to("/cgi-bin/stable_token")) == 2  # first fetch, then one forced refresh
    assert fake_wechat.fake.calls_to("/cgi-bin/token") == []  # nobody else fetches (and invalidates) a token


def test_a_refused_message_is_reported_not_retried(fake_wechat, chat_settings):
    service = CustomerService(chat_settings.wechat_api_base, oa_tokens(chat_settings, MemoryStore()))
    fake_wechat.fake.fail("/cgi-bin/message/custom/send", errcode=45015)  # 回复时间超过限制

    assert service.send_text("o-late", "迟到的回复") is False
    assert len(fake_wechat.fake.calls_to("/cgi-bin/message/custom/send")) == 1


def test_an_unreachable_api_host_is_reported_not_raised(chat_settings):
    tokens = oa_tokens(chat_settings.with_overrides(wechat_api_base="http://127.0.0.1:1"), MemoryStore())
    assert CustomerService("http://127.0.0.1:1", tokens, timeout=0.5).send_text("o-late", "迟到的回复") is False
