"""The exceptions an upload raises, with what a caller acts on."""

from __future__ import annotations

from typing import Any, Optional

from ._report import CheckReport


class UploadError(Exception):
    """An upload that did not complete.

    Attributes: ``status`` and ``request_id`` of the service's answer that stopped it (if
    one did), ``upload_id`` of the Upload left on the server (if one was created),
    ``resumable`` (the same call with ``resume=True`` sends only the missing parts), and
    ``report``, the content check's findings when the check stopped it.
    """

    def __init__(self, info: dict[str, Any]):
        super().__init__(info.get("message", "the upload failed"))
        self.kind: str = info.get("kind", "other")
        self.status: Optional[int] = info.get("status")
        self.request_id: Optional[str] = info.get("request_id")
        self.upload_id: Optional[str] = info.get("upload_id")
        self.resumable: bool = bool(info.get("resumable"))
        report = info.get("report")
        self.report: Optional[CheckReport] = (
            CheckReport.from_json(report) if report is not None else None
        )


class ContentRejected(UploadError):
    """The content check found the file would fail as a batch or fine-tuning input; the
    upload was cancelled before it completed. ``report`` says where and why."""


class InvalidUpload(UploadError):
    """Refused before any request: a bad purpose, size, name or option."""


def error_from(info: dict[str, Any]) -> UploadError:
    """The exception class for a failure the engine reported."""
    kind = info.get("kind")
    if kind == "content_rejected":
        return ContentRejected(info)
    if kind == "invalid":
        return InvalidUpload(info)
    return UploadError(info)
