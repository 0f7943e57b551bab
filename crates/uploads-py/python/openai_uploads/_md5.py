"""The md5 of a path or bytes, for the drop-in's optional ``md5`` argument."""

from __future__ import annotations

import hashlib
import os
from typing import Any


def md5_of(file: Any) -> str:
    digest = hashlib.md5()
    if isinstance(file, (bytes, bytearray, memoryview)):
        digest.update(file)
        return digest.hexdigest()
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    raise ValueError("md5= is checked for a path or bytes only")
