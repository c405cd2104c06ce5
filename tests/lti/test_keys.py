"""The key ring as every web process holds it: loaded once, following the folder (lti/keys.py)."""

from __future__ import annotations

from pathlib import Path

from lti_tool.lti.keys import KeyRing


def test_a_key_rotated_or_retired_by_another_process_is_seen_on_the_next_request(
    tmp_path: Path,
) -> None:
    web, cli = KeyRing(tmp_path / "keys"), KeyRing(tmp_path / "keys")  # two processes
    web.ensure()
    first = web.current()
    assert web.current() is first  # loaded once, not on every request

    second = cli.rotate()
    assert web.current().kid == second.kid
    assert [k.kid for k in web.published()] == [first.kid, second.kid]

    cli.retire(first.kid)
    assert [k.kid for k in web.published()] == [second.kid]
