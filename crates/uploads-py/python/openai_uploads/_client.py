"""How to reach the API: from an ``openai.OpenAI`` client, or from the environment variables
the SDK reads."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Optional


def client_options(
    client: Any,
    *,
    concurrency: Optional[int],
    resume: bool,
    extra: Optional[dict[str, Any]] = None,
) -> dict[str, Any]:
    """The options the engine's Uploader takes."""
    if client is not None:
        options: dict[str, Any] = {
            "api_key": client.api_key,
            "base_url": str(client.base_url),
            "organization": getattr(client, "organization", None),
            "project": getattr(client, "project", None),
            "timeout": _seconds(getattr(client, "timeout", None)),
            "headers": _default_headers(client),
        }
    else:
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ValueError(
                "no API key: pass client=openai.OpenAI(...) or set OPENAI_API_KEY"
            )
        options = {
            "api_key": key,
            "base_url": os.environ.get("OPENAI_BASE_URL") or None,
            "organization": os.environ.get("OPENAI_ORG_ID") or None,
            "project": os.environ.get("OPENAI_PROJECT_ID") or None,
        }
    if concurrency is not None:
        if concurrency < 1:
            raise ValueError(f"concurrency is {concurrency}: at least one part must be in flight")
        options["concurrency"] = concurrency
    if resume:
        options["journal_dir"] = str(journal_dir())
    options.update(extra or {})
    return options


def _default_headers(client: Any) -> list[tuple[str, str]]:
    """The headers the user gave the client (`default_headers`), without the SDK's own
    (authorization, user agent, the x-stainless-* set), which the engine sets itself."""
    given = getattr(client, "_custom_headers", None) or {}
    return [
        (str(k), str(v))
        for k, v in given.items()
        if isinstance(v, str) and k.lower() not in {"authorization", "user-agent"}
    ]


def journal_dir() -> Path:
    """Where resumable uploads keep their journals: the CLI's directory, so either can resume
    the other's upload."""
    if os.environ.get("OPENAI_UPLOADS_JOURNAL_DIR"):
        return Path(os.environ["OPENAI_UPLOADS_JOURNAL_DIR"])
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state else Path.home() / ".local" / "state"
    return base / "openai-uploads"


def _seconds(timeout: Any) -> Optional[float]:
    """The SDK's timeout (a float, or an httpx.Timeout's read timeout) as seconds per request.
    None, zero, negative, infinite or NaN: none given (the engine's default, 600 s; JSON has
    no infinity)."""
    if isinstance(timeout, (int, float)):
        seconds = float(timeout)
    else:
        read = getattr(timeout, "read", None)
        if not isinstance(read, (int, float)):
            return None
        seconds = float(read)
    return seconds if math.isfinite(seconds) and seconds > 0 else None
