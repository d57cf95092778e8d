"""archives.strip_top_folder: a provider's zipball becomes the tree at the root; entries outside it are refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from codeconn.providers import ProviderRefused
from codeconn.providers.archives import strip_top_folder


def make_zip(path: Path, entries: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return path


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


def test_the_single_top_folder_is_stripped(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "in.zip", {"o-r-abc/": "", "o-r-abc/a.txt": "a", "o-r-abc/d/": "",
                                            "o-r-abc/d/b.txt": "b"})
    out = strip_top_folder(source, tmp_path / "out.zip")
    assert names(out) == ["a.txt", "d/", "d/b.txt"]
    with zipfile.ZipFile(out) as archive:
        assert archive.read("d/b.txt") == b"b"


def test_a_zip_without_one_top_folder_is_kept_as_it_is(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "in.zip", {"a.txt": "a", "d/b.txt": "b"})
    assert names(strip_top_folder(source, tmp_path / "out.zip")) == ["a.txt", "d/b.txt"]


@pytest.mark.parametrize("entry", ["top/../evil", "/etc/passwd", "top/..\\evil"])
def test_entries_outside_the_root_are_refused(tmp_path: Path, entry: str) -> None:
    source = make_zip(tmp_path / "in.zip", {"top/a": "a", entry: "x"})
    with pytest.raises(ProviderRefused):
        strip_top_folder(source, tmp_path / "out.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.zip"]


def test_a_body_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.zip"
    source.write_text("<html>not a zip</html>")
    with pytest.raises(ProviderRefused, match="not a zip"):
        strip_top_folder(source, tmp_path / "out.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.zip"]
