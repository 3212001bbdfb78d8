"""The ``[results]`` section of the policy profile."""
import tomllib

import pytest

from config.policy import POLICY_DIR, PolicyError, ResultsPolicy, parse_policy


def _data():
    with (POLICY_DIR / "hengyang.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_hengyang_results_section():
    r = parse_policy(_data()).results
    assert r.talk_grades == ("一般", "较差") and r.duplicate_threshold == 0.8 and r.download_token_minutes == 10


def test_a_profile_without_the_section_gets_the_defaults():
    data = _data()
    del data["results"]
    assert parse_policy(data).results == ResultsPolicy()


@pytest.mark.parametrize("key, value, message", [
    ("duplicate_threshold", 1.5, "duplicate_threshold 必须在 0 到 1 之间"),
    ("duplicate_num_perm", 4, "duplicate_num_perm 至少为 16"),
    ("duplicate_recall", 1.0, "duplicate_recall 必须大于 0 且小于 1"),
    ("spot_check_units", 0, "至少为 1"),
    ("talk_grades", ["差劲"], "不在 grades 中"),
    ("unknown_key", 1, "字段有误"),
])
def test_wrong_values_are_refused(key, value, message):
    data = _data()
    data["results"][key] = value
    with pytest.raises(PolicyError, match=message):
        parse_policy(data)
