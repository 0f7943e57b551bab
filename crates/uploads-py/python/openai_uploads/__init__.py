"""openai_uploads: large files into OpenAI through the Uploads API.

Parts are sent in parallel and streamed (bounded memory), the whole file's md5 is sent with
complete, batch and fine-tune files are checked as they are read, retries obey the service's
signals, and ``resume=True`` continues an interrupted upload. The engine is Rust; the GIL is
released while bytes move.

    import openai, openai_uploads
    upload = openai_uploads.upload("train.jsonl", purpose="fine-tune", client=openai.OpenAI())
    print(upload.file.id)

``upload_file_chunked(client, file=..., mime_type=..., purpose=...)`` is a drop-in for the
SDK's ``client.uploads.upload_file_chunked``.
"""

from __future__ import annotations

from typing import Any, Optional

from . import _native
from ._errors import ContentRejected, InvalidUpload, UploadError
from ._report import CheckReport, Finding
from ._server import LocalServer
from ._upload import upload, upload_async, upload_file_chunked, upload_many

__all__ = [
    "CheckReport",
    "ContentRejected",
    "Finding",
    "InvalidUpload",
    "LocalServer",
    "UploadError",
    "check",
    "upload",
    "upload_async",
    "upload_file_chunked",
    "upload_many",
]

__version__ = _native.ENGINE_VERSION


def check(
    path: Any, purpose: str, *, method: Optional[str] = None, validation: bool = False
) -> CheckReport:
    """Checks a batch (``purpose="batch"``) or fine-tuning (``"fine-tune"``) file as the
    upload would, without sending anything: every line against the format and the service's
    rules. ``method`` is the fine-tuning job's (``supervised``, ``preference``,
    ``reinforcement``); ``validation`` marks validation data."""
    import json
    import os

    return CheckReport.from_json(
        json.loads(_native.check(os.fspath(path), purpose, method, validation))
    )
