"""What to upload: a path, bytes, or a binary file object (read as a stream, never whole)."""

from __future__ import annotations

import os
from typing import Any, Optional, Union

FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Any]


def source_of(
    file: FileInput, size: Optional[int], filename: Optional[str]
) -> tuple[str, Any, Optional[int], Optional[str]]:
    """(kind, value, size, filename) for the engine."""
    if isinstance(file, (str, os.PathLike)):
        return "path", os.fspath(file), None, filename
    if isinstance(file, (bytes, bytearray, memoryview)):
        if filename is None:
            raise ValueError("bytes need a filename: pass filename=")
        return "bytes", bytes(file), None, filename
    if hasattr(file, "read"):
        name = filename or _name_of(file)
        if name is None:
            raise ValueError("a file object without a name needs filename=")
        return "stream", file, size if size is not None else _size_of(file), name
    raise TypeError(
        f"cannot upload a {type(file).__name__}: give a path, bytes or a binary file object"
    )


def _name_of(file: Any) -> Optional[str]:
    name = getattr(file, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else None


def _size_of(file: Any) -> int:
    """Bytes left to read in a file object: from its descriptor, or by seeking to its end."""
    try:
        fd = file.fileno()
        here = file.tell()
        return os.fstat(fd).st_size - here
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        raise ValueError(
            "the file object's length cannot be found (the Uploads API needs it up front): pass bytes="
        ) from None
