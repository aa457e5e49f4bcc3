"""Which plans need a secure badge at which resource (station.plans.secure_plans), from
the sample configuration: its resident plan is 24/7 at the workspace, members are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from station.config import load_config
from station.errors import ConfigError
from station.plans import secure_plans, staff_secure
from tests.support.config import write_config


def plans_at(tmp_path: Path, resource: str, overrides: dict[str, Any] | None = None) -> set[str]:
    config = load_config(write_config(tmp_path, overrides=overrides))
    return set(secure_plans(config, resource))


def test_auto_asks_a_secure_badge_where_the_window_is_always(tmp_path: Path) -> None:
    # resident: workspace = "always" (the front door at night), the rest in opening hours.
    assert plans_at(tmp_path, "front-door") == {"resident"}
    assert plans_at(tmp_path, "laser-cutter") == set()


def test_a_plan_may_say_yes_or_no(tmp_path: Path) -> None:
    overrides = {
        "plans": {"resident": {"require_secure": "no"}, "member": {"require_secure": "yes"}}
    }
    assert plans_at(tmp_path, "front-door", overrides) == {"member"}
    # "yes" where the plan gives no access at all asks nothing: the plan refuses anyway.
    assert plans_at(tmp_path, "laser-cutter", overrides) == {"member"}
    assert "visitor" not in plans_at(tmp_path, "front-door", overrides)


def test_a_misspelt_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plans.member.require_secure: Input should be 'auto'"):
        load_config(
            write_config(tmp_path, overrides={"plans": {"member": {"require_secure": True}}})
        )


@pytest.mark.parametrize(
    ("staff", "wanted"),
    [
        ({}, True),  # the sample: staff pass at any hour, so a secure badge by default
        ({"require_secure": "no"}, False),
        ({"schedule": "opening_hours"}, False),  # auto: a rule with hours asks nothing
        ({"schedule": "opening_hours", "require_secure": "yes"}, True),
    ],
)
def test_staff_need_a_secure_badge_while_their_rule_is_always(
    tmp_path: Path, staff: dict[str, Any], wanted: bool
) -> None:
    config = load_config(write_config(tmp_path, overrides={"staff": staff}))
    assert staff_secure(config) is wanted
