"""One process reads its org.yaml several times (the check, the router, the ledger connector,
TOP's directory): ``load_org`` and ``org_from_file`` share the last org validated, and only
while the file's name and text are the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoporg.errors import ConfigError
from shoporg.reports.sources import org_from_file
from shoporg.schema import load_org

REPO_ORG = Path(__file__).resolve().parents[2] / "org.yaml"


def test_reading_the_same_file_again_gives_the_same_org(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(REPO_ORG.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_org(path)
    assert load_org(path) is first
    assert org_from_file(path) is first  # the reports' reader shares it


@pytest.mark.parametrize("change", ["the text", "the file name"])
def test_a_changed_text_or_another_file_is_validated_anew(tmp_path: Path, change: str) -> None:
    path = tmp_path / "org.yaml"
    text = REPO_ORG.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_org(path)
    if change == "the text":
        path.write_text(text + "\n# a comment\n", encoding="utf-8")
        again = load_org(path)
    else:
        other = tmp_path / "copy.yaml"
        other.write_text(text, encoding="utf-8")
        again = load_org(other)
    assert again is not first
    assert again == first  # the same declaration, read again


def test_a_file_that_fails_fails_every_time(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("company: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError):
            load_org(path)
