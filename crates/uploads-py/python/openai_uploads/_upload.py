"""The uploads: ``upload``, ``upload_many``, ``upload_async`` and the SDK's drop-in
``upload_file_chunked``. The engine runs off the Python thread; Python waits on it in short
steps (the GIL released), so Ctrl-C and other threads keep working."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any, Iterable, Iterator, Optional, Union

from . import _native
from ._client import client_options
from ._errors import UploadError, error_from
from ._progress import Progress, Reporter
from ._source import FileInput, source_of

# How long one wait holds before Python looks at signals and progress again.
_STEP = 0.1


def _upload_options(
    purpose: str,
    *,
    mime_type: Optional[str],
    filename: Optional[str],
    part_size: Optional[int],
    check: bool,
    md5: bool,
    expires_after: Optional[int],
    size: Optional[int],
    allow_unknown_purpose: bool = False,
) -> str:
    return json.dumps(
        {
            "purpose": purpose,
            "mime_type": mime_type,
            "filename": filename,
            "part_size": part_size,
            "check": check,
            "md5": md5,
            "expires_after": expires_after,
            "size": size,
            "allow_unknown_purpose": allow_unknown_purpose,
        }
    )


def _start(uploader: Any, file: FileInput, purpose: str, options: dict[str, Any]) -> Any:
    kind, value, size, filename = source_of(file, options.pop("bytes", None), options.pop("filename"))
    return uploader.start(
        kind, value, _upload_options(purpose, filename=filename, size=size, **options)
    )


def _begin(file: FileInput, purpose: str, client: dict[str, Any], options: dict[str, Any]) -> Any:
    """One upload through an uploader of its own (its own budget of parts in flight)."""
    return _start(_native.Uploader(json.dumps(client)), file, purpose, options)


def _drain(handle: Any, reporter: Reporter) -> None:
    for event in json.loads(handle.events()):
        reporter(event)


def _finish(handle: Any, reporter: Reporter) -> dict[str, Any]:
    _drain(handle, reporter)
    reporter.close()
    ok, text = handle.outcome()
    data = json.loads(text)
    if not ok:
        raise error_from(data)
    return data


def _wait(handle: Any, reporter: Reporter) -> dict[str, Any]:
    """Waits for the upload in short steps; Ctrl-C stops it (kept resumable with a journal,
    else cancelled) and is raised once it has stopped."""
    try:
        while not handle.wait(_STEP):
            _drain(handle, reporter)
    except KeyboardInterrupt:
        handle.cancel()
        while not handle.wait(_STEP):
            pass
        _drain(handle, reporter)
        reporter.close()
        raise
    return _finish(handle, reporter)


def _typed(data: dict[str, Any]) -> Any:
    """The server's Upload as ``openai.types.Upload`` when the SDK is installed."""
    upload = data["upload"]
    try:
        from openai.types import Upload
    except ImportError:
        return upload
    return Upload.model_validate(upload)


def upload(
    file: FileInput,
    *,
    purpose: str,
    client: Any = None,
    mime_type: Optional[str] = None,
    filename: Optional[str] = None,
    part_size: Optional[int] = None,
    concurrency: Optional[int] = None,
    check: bool = True,
    md5: bool = True,
    expires_after: Optional[int] = None,
    resume: bool = False,
    allow_unknown_purpose: bool = False,
    progress: Progress = None,
    bytes: Optional[int] = None,
    _testing: Optional[dict[str, Any]] = None,
) -> Any:
    """Uploads ``file`` through the Uploads API and returns the completed Upload (its File
    in ``.file``): an ``openai.types.Upload`` when ``openai`` is installed, a dict otherwise.

    ``file`` is a path, ``os.PathLike``, bytes (with ``filename``) or a binary file object
    (read as a stream; ``bytes`` is its length when it cannot be found). ``client`` is an
    ``openai.OpenAI`` whose key, base URL, organization, project and timeout are used;
    without it, ``OPENAI_API_KEY`` and the SDK's other variables. Parts go in parallel
    (``concurrency``, 8 by default), the md5 is sent with complete, batch and fine-tune files
    are checked as they are read (``check``), and with ``resume=True`` an interrupted upload
    is continued by the same call (journals shared with the ``openai-uploads`` CLI). A
    purpose this package does not know is refused before any request unless
    ``allow_unknown_purpose`` (one the service added since: it is sent as given).
    ``progress`` is a callable taking each event (a dict with a ``type``), or ``True`` for a
    tqdm bar. Raises ``UploadError`` (``ContentRejected``, ``InvalidUpload``).
    """
    handle = _begin(
        file,
        purpose,
        client_options(client, concurrency=concurrency, resume=resume, extra=_testing),
        dict(
            mime_type=mime_type,
            filename=filename,
            part_size=part_size,
            check=check,
            md5=md5,
            expires_after=expires_after,
            bytes=bytes,
            allow_unknown_purpose=allow_unknown_purpose,
        ),
    )
    return _typed(_wait(handle, Reporter(progress)))


def upload_many(
    files: Iterable[FileInput],
    *,
    purpose: str,
    client: Any = None,
    concurrency: Optional[int] = None,
    max_files: int = 4,
    check: bool = True,
    md5: bool = True,
    resume: bool = False,
    allow_unknown_purpose: bool = False,
    progress: Progress = None,
    _testing: Optional[dict[str, Any]] = None,
) -> Iterator[Union[Any, UploadError]]:
    """Uploads each of ``files``, up to ``max_files`` at a time, all sharing one budget of
    ``concurrency`` parts in flight; yields one result per file in the order given: the
    completed Upload, or the ``UploadError`` it failed with (never raised, so one failure
    does not stop the others)."""
    if max_files < 1:
        raise ValueError(f"max_files is {max_files}: at least one file at a time")
    uploader = _native.Uploader(
        json.dumps(client_options(client, concurrency=concurrency, resume=resume, extra=_testing))
    )
    reporter = Reporter(progress)
    pending = iter(files)
    running: deque[Any] = deque()

    def refill() -> None:
        while len(running) < max_files:
            file = next(pending, None)
            if file is None:
                return
            options = dict(
                mime_type=None,
                filename=None,
                part_size=None,
                check=check,
                md5=md5,
                expires_after=None,
                allow_unknown_purpose=allow_unknown_purpose,
            )
            try:
                running.append(_start(uploader, file, purpose, options))
            except (ValueError, TypeError) as e:
                running.append(e)

    refill()
    try:
        while running:
            head = running.popleft()
            if isinstance(head, Exception):
                yield head
            else:
                try:
                    yield _typed(_wait(head, reporter))
                except UploadError as e:
                    yield e
            refill()
    finally:
        # A caller that stops iterating (or Ctrl-C) stops what is still running.
        for handle in running:
            if not isinstance(handle, Exception):
                handle.cancel()
        for handle in running:
            if not isinstance(handle, Exception):
                while not handle.wait(_STEP):
                    pass


async def upload_async(
    file: FileInput,
    *,
    purpose: str,
    client: Any = None,
    mime_type: Optional[str] = None,
    filename: Optional[str] = None,
    part_size: Optional[int] = None,
    concurrency: Optional[int] = None,
    check: bool = True,
    md5: bool = True,
    expires_after: Optional[int] = None,
    resume: bool = False,
    allow_unknown_purpose: bool = False,
    progress: Progress = None,
    bytes: Optional[int] = None,
    _testing: Optional[dict[str, Any]] = None,
) -> Any:
    """``upload`` for asyncio (an ``openai.AsyncOpenAI`` client works as ``client``): the
    engine runs off the event loop, which only polls it; cancelling the task stops the
    upload (kept resumable with ``resume=True``, else cancelled) before the
    ``CancelledError`` propagates."""
    handle = _begin(
        file,
        purpose,
        client_options(client, concurrency=concurrency, resume=resume, extra=_testing),
        dict(
            mime_type=mime_type,
            filename=filename,
            part_size=part_size,
            check=check,
            md5=md5,
            expires_after=expires_after,
            bytes=bytes,
            allow_unknown_purpose=allow_unknown_purpose,
        ),
    )
    reporter = Reporter(progress)
    loop = asyncio.get_running_loop()
    try:
        while not await loop.run_in_executor(None, handle.wait, _STEP):
            _drain(handle, reporter)
    except asyncio.CancelledError:
        handle.cancel()
        while not await asyncio.shield(loop.run_in_executor(None, handle.wait, _STEP)):
            pass
        reporter.close()
        raise
    return _typed(_finish(handle, reporter))


def upload_file_chunked(
    client: Any,
    *,
    file: Any,
    mime_type: str,
    purpose: str,
    filename: Optional[str] = None,
    bytes: Optional[int] = None,
    part_size: Optional[int] = None,
    md5: Any = None,
) -> Any:
    """The SDK's ``client.uploads.upload_file_chunked`` with the same arguments and return
    type (an ``openai.types.Upload``), but parts sent in parallel and streamed, and the md5
    computed from the bytes as they are sent (a given ``md5`` is not needed; it is checked
    against the computed one, and a mismatch raises before anything is kept). As the SDK's,
    it sends any ``purpose`` as given and leaves it to the service to judge."""
    check_md5 = md5 if isinstance(md5, str) else None
    if check_md5 is not None:
        from ._md5 import md5_of

        if md5_of(file) != check_md5.lower():
            raise ValueError("md5 does not match the file's bytes")
    return upload(
        file,
        purpose=purpose,
        client=client,
        mime_type=mime_type,
        filename=filename,
        part_size=part_size,
        bytes=bytes,
        check=False,
        # As the SDK: the purpose is the service's to judge.
        allow_unknown_purpose=True,
    )
