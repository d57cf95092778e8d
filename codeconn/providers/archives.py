"""Zip archives as codeconn hands them on: the commit's tree at the root, no entry outside it.

Hosted providers wrap a commit's tree in one top folder (GitHub's zipball:
`owner-repo-<sha>/`; GitLab and Bitbucket do the same with their own names),
while `git archive` in local mode and the artifact a pipeline receives hold the
tree at the root. `strip_top_folder` rewrites a provider's zip to that shape, so
every mode yields the same archive for the same commit. Entries that would land
outside the root (absolute paths, `..`) are refused rather than rewritten: a zip
that carries them is not a tree git could have produced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from codeconn.providers.base import ProviderRefused


def _top_folder(names: list[str]) -> str | None:
    """The one folder every entry sits under (with its slash), or None when there is no single one."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) != 1 or not all("/" in name for name in names):
        return None
    return f"{tops.pop()}/"


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in name


def strip_top_folder(source: Path, destination: Path) -> Path:
    """Copy the zip `source` to `destination` without its single top folder; written atomically.

    A zip without a single top folder is copied as it is. An entry escaping the
    root, or a file that is not a zip, is ProviderRefused.
    """
    destination = Path(destination)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    os.close(descriptor)
    try:
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as out:
            infos = original.infolist()
            top = _top_folder([info.filename for info in infos])
            for info in infos:
                name = info.filename[len(top):] if top else info.filename
                if not name:
                    continue  # the top folder's own entry
                if not _safe(name):
                    raise ProviderRefused(f"the archive holds an entry outside its root: {info.filename!r}")
                copied = zipfile.ZipInfo(name, date_time=info.date_time)
                copied.external_attr = info.external_attr
                copied.compress_type = zipfile.ZIP_DEFLATED
                if info.is_dir():
                    out.writestr(copied, b"")
                    continue
                with original.open(info) as reader, out.open(copied, "w") as writer:
                    shutil.copyfileobj(reader, writer)
        os.replace(temporary, destination)
    except zipfile.BadZipFile:
        Path(temporary).unlink(missing_ok=True)
        raise ProviderRefused("the provider's archive is not a zip file") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


__all__ = ["strip_top_folder"]
