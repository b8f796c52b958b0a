"""Files the command line writes: never over one it reads, and each written whole or not at all."""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import stat
from pathlib import Path

from .errors import DataError
from .wording import clipped

__all__ = ["check_outputs", "same_file", "write_whole"]


#: Options naming a file a command reads, and those naming a file it writes (in that order).
_INPUTS = {"file": "the customer file", "model": "the run file"}
_OUTPUTS = ("out", "out_transactions", "summary", "config", "cards", "report")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path that names an input or another output.

    Paths are compared as the files they reach: through symbolic and hard links, ``./`` and ``..``.
    """
    named = [(f"{_INPUTS[option]}", path) for option in _INPUTS if (path := getattr(args, option, None)) is not None]
    for option in _OUTPUTS:
        path = getattr(args, option, None)
        if path is None:
            continue
        for what, other in named:
            if same_file(path, other):
                shown = clipped(path, 200)
                if what.startswith("the "):
                    raise DataError(
                        f"--{option} '{shown}' is {what} itself: writing there would replace it. "
                        f"Give --{option} a new path."
                    )
                raise DataError(f"--{option} and {what} both name '{shown}'; give each its own path.")
        named.append((f"--{option}", path))


def same_file(path: Path, other: Path) -> bool:
    if "://" in str(path) or "://" in str(other):
        return str(path) == str(other)
    try:
        return os.path.samefile(path, other)
    except OSError:  # one of them does not exist (yet): compare where the paths lead
        return os.path.realpath(path) == os.path.realpath(other)


def write_whole(path: Path, content: bytes | str) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` whole or not at all.

    It goes to a new file beside the target, renamed over it once complete, so a failure (a full
    disk) leaves no partial file and an existing file as it was. A device or a pipe (``/dev/stdout``)
    is written directly.

    Raises
    ------
    OSError
        Naming ``path``.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    target = Path(os.path.realpath(path))  # through a symbolic link, as a plain write would go
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OSError(errno.EISDIR, "is a folder; give the path of a file to write", str(path))
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "wb") as out:
            out.write(data)
        return
    # A short name: the target's own may already be as long as a file name can be.
    temporary = target.with_name(f".{target.name[:60]}.{secrets.token_hex(4)}.part")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, f"{error.strerror}; nothing was written to it", str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
