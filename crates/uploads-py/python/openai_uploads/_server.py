"""``LocalServer``: the Uploads API served in this process, for offline tests."""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _native


class LocalServer:
    """A local server faithful to the live Uploads and Files API, with fault options::

        with openai_uploads.LocalServer() as server:
            client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)

    Faults: ``error_rate`` (fraction of part requests answered ``error_status``),
    ``reset_rate`` (connections dropped mid-part), ``lose_complete_responses`` (completes
    carried out whose answer is lost), ``latency`` (seconds added to each request),
    ``bandwidth`` / ``link_bandwidth`` (bytes per second per connection / in all), ``seed``.
    ``max_part_size`` scales the part limit down for small tests.

    After the upload, batches, vector store file batches and fine-tuning jobs move one
    ``workflow_step`` (seconds, default 2) per status; ``stick_at`` names a status they never
    leave, ``fail_batch_requests_every`` fails every N-th batch request (to the error file),
    ``fail_vector_store_files`` fails the first N vector store files, and
    ``lose_create_responses`` carries out the first N creates but loses their answer.
    """

    def __init__(
        self,
        *,
        api_key: str = "sk-local",
        max_part_size: Optional[int] = None,
        error_rate: float = 0.0,
        error_status: Optional[int] = None,
        reset_rate: float = 0.0,
        lose_complete_responses: int = 0,
        latency: float = 0.0,
        bandwidth: Optional[int] = None,
        link_bandwidth: Optional[int] = None,
        seed: int = 0,
        workflow_step: Optional[float] = None,
        stick_at: Optional[str] = None,
        fail_batch_requests_every: int = 0,
        fail_vector_store_files: int = 0,
        lose_create_responses: int = 0,
    ):
        self.api_key = api_key
        self.max_part_size = max_part_size
        self._server: Any = _native.LocalServer(
            json.dumps(
                {
                    "api_key": api_key,
                    "max_part_size": max_part_size,
                    "error_rate": error_rate,
                    "error_status": error_status,
                    "reset_rate": reset_rate,
                    "lose_complete_responses": lose_complete_responses,
                    "latency": latency,
                    "bandwidth": bandwidth,
                    "link_bandwidth": link_bandwidth,
                    "seed": seed,
                    "workflow_step": workflow_step,
                    "stick_at": stick_at,
                    "fail_batch_requests_every": fail_batch_requests_every,
                    "fail_vector_store_files": fail_vector_store_files,
                    "lose_create_responses": lose_create_responses,
                }
            )
        )
        self.base_url: str = self._server.base_url

    def stats(self) -> dict[str, int]:
        """The server's counters: parts stored, uploads completed and cancelled, faults."""
        return json.loads(self._server.stats())

    def client(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` client for this server."""
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)

    def close(self) -> None:
        """Stops the server; its data goes with it."""
        self._server.stop()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
