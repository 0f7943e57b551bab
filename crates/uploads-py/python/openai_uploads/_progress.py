"""Progress: the engine's events handed to a callable, or drawn as a tqdm bar."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

Progress = Union[None, bool, Callable[[dict[str, Any]], None]]


class Reporter:
    """Calls the user's callable with each event; with ``True``, draws a tqdm bar."""

    def __init__(self, progress: Progress):
        self._call: Optional[Callable[[dict[str, Any]], None]] = None
        self._bar: Any = None
        if progress is True:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                raise ValueError("progress=True draws a tqdm bar: pip install tqdm") from None
            self._call = self._draw
        elif callable(progress):
            self._call = progress

    def __call__(self, event: dict[str, Any]) -> None:
        if self._call is not None:
            self._call(event)

    def _draw(self, event: dict[str, Any]) -> None:
        from tqdm import tqdm

        kind = event.get("type")
        if kind == "started":
            self._bar = tqdm(
                total=event["bytes"],
                initial=event.get("bytes_done", 0),
                unit="B",
                unit_scale=True,
                desc=event.get("filename"),
            )
        elif self._bar is None:
            return
        elif kind == "bytes_sent":
            self._bar.update(event["bytes"])
        elif kind == "part_restarted":
            self._bar.update(-event["bytes_lost"])
        elif kind == "completed":
            self._bar.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
