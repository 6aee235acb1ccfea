"""Where a search's results live: a local folder, or a storage URI (``s3://``, ``gs://``,
``file://``) worked on in a local staging folder and uploaded at the end."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

__all__ = ["is_uri", "staging", "check_out", "check_remote", "copy_tree"]


def is_uri(s: str) -> bool:
    return "://" in str(s)


def staging(uri: str) -> Path:
    base = Path(os.environ.get("GPUNET_RAY_STAGING", "~/.cache/gpunet_ray/runs")).expanduser()
    return (base / "".join(c if c.isalnum() or c in "-_." else "_" for c in uri)).resolve()


def _remote(uri: str):
    try:
        from pyarrow import fs

        return fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises several types for unknown schemes / missing credentials
        raise ConfigError(f"cannot open --out {uri!r}: {str(exc).splitlines()[0]}") from None


def check_remote(uri: str, resume: bool) -> None:
    from pyarrow import fs

    filesystem, path = _remote(uri)
    has = filesystem.get_file_info(f"{path}/config.yaml").type == fs.FileType.File
    if resume and not has:
        raise ConfigError(f"--resume: {uri!r} holds no search (config.yaml missing); start one without --resume")
    if not resume and has:
        raise ConfigError(f"{uri!r} already holds a search; pass --resume to continue it or choose another --out")


def copy_tree(src, dst) -> None:
    """Copy a folder tree between a local path and a URI (either direction)."""
    from pyarrow import fs

    def split(x):
        return _remote(str(x)) if is_uri(str(x)) else (fs.LocalFileSystem(), str(Path(x).resolve()))

    (sfs, spath), (dfs, dpath) = split(src), split(dst)
    if isinstance(dfs, fs.LocalFileSystem):
        Path(dpath).mkdir(parents=True, exist_ok=True)
    fs.copy_files(spath, dpath, source_filesystem=sfs, destination_filesystem=dfs)


def check_out(out: Path, resume: bool) -> None:
    has_search = (out / "config.yaml").is_file()
    if resume and not has_search:
        raise ConfigError(f"--resume: {str(out)!r} holds no search (config.yaml missing); start one without --resume")
    if not resume and has_search:
        raise ConfigError(f"{str(out)!r} already holds a search; pass --resume to continue it or choose another --out")
    if not resume and out.exists() and any(out.iterdir()):
        raise ConfigError(f"{str(out)!r} exists and is not empty; choose a new --out folder")
