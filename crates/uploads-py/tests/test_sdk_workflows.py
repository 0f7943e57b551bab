"""The official ``openai`` SDK's batches, vector store file batches and fine-tuning calls
against the local server, unchanged: what a user's code does after the upload, offline."""

from __future__ import annotations

import json
import time

import pytest

import openai_uploads
from openai_uploads import LocalServer


@pytest.fixture
def server():
    with LocalServer(workflow_step=0.05, fail_batch_requests_every=3) as s:
        yield s


@pytest.fixture
def client(server):
    return server.client()


def requests_file(tmp_path, n: int):
    path = tmp_path / "requests.jsonl"
    lines = [
        json.dumps(
            {
                "custom_id": f"req-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"hi {i}"}]},
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def wait(fetch, done, timeout=20.0):
    """Polls ``fetch()`` until ``done(value)``, at most ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < end, f"still {value}"
        time.sleep(0.05)


def test_batches_create_retrieve_list_and_the_output_file_through_the_sdk(tmp_path, client):
    up = openai_uploads.upload(requests_file(tmp_path, 6), purpose="batch", client=client)
    batch = client.batches.create(
        input_file_id=up.file.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"run": "sdk"},
    )
    assert batch.status == "validating"
    assert batch.metadata == {"run": "sdk"}
    done = wait(lambda: client.batches.retrieve(batch.id), lambda b: b.status in ("completed", "failed"))
    assert done.status == "completed"
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (6, 4, 2)
    output = client.files.content(done.output_file_id).text.splitlines()
    assert [json.loads(line)["custom_id"] for line in output] == ["req-0", "req-1", "req-3", "req-4"]
    assert json.loads(output[0])["response"]["status_code"] == 200
    errors = client.files.content(done.error_file_id).text.splitlines()
    assert [json.loads(line)["custom_id"] for line in errors] == ["req-2", "req-5"]
    assert client.files.retrieve(done.output_file_id).purpose == "batch_output"

    # The SDK's auto-paging list walks every page with `after`.
    for _ in range(4):
        client.batches.create(input_file_id=up.file.id, endpoint="/v1/chat/completions", completion_window="24h")
    listed = [b.id for b in client.batches.list(limit=2)]
    assert len(listed) == 5 and len(set(listed)) == 5
    assert listed[-1] == batch.id, "newest first"


def test_a_batch_cancelled_through_the_sdk_goes_through_cancelling(tmp_path):
    with LocalServer(workflow_step=0.05, stick_at="in_progress") as server:
        client = server.client()
        up = openai_uploads.upload(requests_file(tmp_path, 2), purpose="batch", client=client)
        batch = client.batches.create(input_file_id=up.file.id, endpoint="/v1/chat/completions", completion_window="24h")
        wait(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "in_progress")
        assert client.batches.cancel(batch.id).status == "cancelling"
        assert wait(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "cancelled").cancelled_at


def test_vector_store_file_batches_create_and_poll_and_list_files_through_the_sdk(tmp_path):
    with LocalServer(workflow_step=0.05, fail_vector_store_files=1) as server:
        client = server.client()
        ids = []
        for i in range(3):
            path = tmp_path / f"doc{i}.md"
            path.write_text(f"# doc {i}\n")
            ids.append(openai_uploads.upload(path, purpose="assistants", client=client).file.id)
        store = client.vector_stores.create(name="docs")
        batch = client.vector_stores.file_batches.create_and_poll(
            vector_store_id=store.id, file_ids=ids, poll_interval_ms=50
        )
        # The batch comes back (not the vector store: openai-python #2724).
        assert batch.object == "vector_store.files_batch"
        assert batch.status == "completed"
        assert (batch.file_counts.completed, batch.file_counts.failed, batch.file_counts.total) == (2, 1, 3)
        files = list(client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id))
        assert sorted(f.id for f in files) == sorted(ids)
        failed = [f for f in files if f.status == "failed"]
        assert len(failed) == 1 and failed[0].last_error.code == "server_error"
        failed_only = list(
            client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, filter="failed")
        )
        assert [f.id for f in failed_only] == [failed[0].id]
        assert client.vector_stores.retrieve(store.id).file_counts.completed == 2


def test_fine_tuning_jobs_create_retrieve_and_list_events_through_the_sdk(tmp_path, client):
    example = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
    path = tmp_path / "train.jsonl"
    path.write_text((example + "\n") * 10)
    up = openai_uploads.upload(path, purpose="fine-tune", client=client)
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=up.file.id, suffix="sdk")
    assert job.status == "validating_files"
    done = wait(lambda: client.fine_tuning.jobs.retrieve(job.id), lambda j: j.status in ("succeeded", "failed"))
    assert done.status == "succeeded"
    assert done.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:local:sdk:")
    events = [e.message for e in client.fine_tuning.jobs.list_events(job.id)]
    assert events[0] == "The job has successfully completed", "newest first"
    assert events[-1] == f"Created fine-tuning job: {job.id}"
