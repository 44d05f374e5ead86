"""Refs as people type them (``kind:name``) and as the engine names them (URNs)."""

from __future__ import annotations

import pytest

from shoporg.kinds import KINDS, Kind, Ref, parse_ref, ref_of_urn, urn_of

EXAMPLES = {
    "department": ("tb", "cs"),
    "role": ("tb", "tb-ops"),
    "sub_account": ("tb", "li-na"),
    "role_grant": ("tb", "li-na", "tb-shop"),
    "shop_binding": ("dy-shop", "channel", "youpin_xigua"),
    "chat_group": ("sp-my", "Pre-sales 售前"),
}


@pytest.mark.parametrize("kind", KINDS, ids=[k.word for k in KINDS])
def test_every_kind_s_ref_survives_its_text_and_its_urn(kind: Kind) -> None:
    ref = kind.ref(*EXAMPLES[kind.word])
    assert parse_ref(str(ref)) == ref
    assert ref_of_urn(urn_of(ref, "prod", "shoporg")) == ref


@pytest.mark.parametrize(("case", "text", "says"), [
    ("no kind", "tb/li-na", "kind:name"),
    ("an unknown kind", "robot:tb/li-na", "kind:name"),
    ("a name not of that kind", "role_grant:tb/li-na", "not a role_grant name"),
    ("no name", "sub_account:", "kind:name"),
])
def test_a_ref_that_is_not_kind_colon_name_is_refused_with_the_form(
    case: str, text: str, says: str,
) -> None:
    with pytest.raises(ValueError, match=says):
        parse_ref(text)


def test_a_ref_prints_as_kind_colon_name() -> None:
    assert str(Ref("sub_account", "tb/li-na")) == "sub_account:tb/li-na"
