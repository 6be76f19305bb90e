"""What a run tells Prefect besides its data: a hung run times out and frees the writer;
each run sends one summary event for its new alerts; the shipped automations turn that
event into one notification (flows/lifecycle.py, flows/report.py, flows/automations.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from filelock import FileLock

from tests.conftest import BIN, BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader

HUNG_SOURCES = """\
settings:
  politeness: {min_delay_s: 0, timeout_s: 15, retries: 0}
sources:
  - id: hung
    name: Hung Herald
    homepage: http://hung.news.test/
    country: JP
    language: en
    feeds: [http://hung.news.test/feed.xml]
    allow_private_network: true
"""


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers: a server that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_a_hung_run_times_out_and_frees_the_writer(prefect_server: PrefectServer,
                                                   tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.ingest import ingest
    from flows.run import WRITER_LIMIT

    sources = tmp_path / "sources.yaml"
    sources.write_text(HUNG_SOURCES, encoding="utf-8")
    data = tmp_path / "data"
    silent = SilentServer()
    try:
        started = time.monotonic()
        state = ingest.with_options(timeout_seconds=3)(
            sources_file=str(sources), data_dir=str(data), workers=1,
            resolve={"hung.news.test": f"127.0.0.1:{silent.port}"}, return_state=True)
        took = time.monotonic() - started
    finally:
        silent.close()
    assert (state.type.value, state.name) == ("FAILED", "TimedOut")
    assert state.message == "Flow run exceeded timeout of 3.0 second(s)"
    # Prefect interrupts the run when its Python code next runs: here when the request's own
    # deadline (15 s) wakes the fetcher up (docs/deployments.md, "Time limits").
    assert took < 60
    con = duckdb.connect(str(data / "work.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT status, message FROM runs").fetchall() == [
            ("failed", "interrupted (CancelledError): the flow's time limit ran out, or the "
                       "run was cancelled")]
    finally:
        con.close()
    # Both layers of the writer are free at once: the next run need not wait for anything.
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(WRITER_LIMIT).active_slots == 0
    with FileLock(str(data / "work.lock"), timeout=0):
        pass


def run_events(run_id: str, event: str, timeout: float = 120) -> list[Any]:
    """The events named ``event`` about blocwatch run ``run_id``, once the server has
    stored them (the event persister writes in the background)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            page = client.read_events(EventFilter(
                event=EventNameFilter(name=[event]),
                resource=EventResourceFilter(id=[f"blocwatch.run.{run_id}"])), limit=50)
            if page.events or time.monotonic() > deadline:
                return page.events
            time.sleep(0.5)


def test_one_summary_event_per_run(built_warehouse: BuiltWarehouse,
                                   prefect_server: PrefectServer) -> None:
    """The session's demo ingest raised its spike alerts (the built-in burst): one
    blocwatch.run.alerts event lists them all, beside one blocwatch.alert.* event each."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

    run_id = built_warehouse.summary["run_id"]
    con = connect_reader(built_warehouse.published)
    try:
        alerts = con.execute("SELECT alert_key, kind, message FROM alerts WHERE run_id = ? "
                             "ORDER BY alert_key", [run_id]).fetchall()
        [(flow_run_id,)] = con.execute("SELECT prefect_flow_run_id FROM runs WHERE run_id = ?",
                                       [run_id]).fetchall()
    finally:
        con.close()
    assert len(alerts) == built_warehouse.summary["new_alerts"] >= 2
    events = run_events(run_id, "blocwatch.run.alerts")
    assert len(events) == 1
    payload = events[0].payload
    assert (payload["flow"], payload["run_id"], payload["alerts"], payload["checks"]) == (
        "ingest", run_id, len(alerts), 0)
    assert sorted(i["key"] for i in payload["items"]) == [a[0] for a in alerts]
    assert payload["headline"] == f"blocwatch ingest: {len(alerts)} new alerts"
    assert sorted(payload["message"].splitlines()[1:]) == sorted(
        f"- {kind}: {message}" for _, kind, message in alerts)
    # The per-alert events are there too, one per alert, for automations on one entity;
    # all of the run's events name its flow run.
    with get_client(sync_client=True) as client:
        page = client.read_events(EventFilter(
            event=EventNameFilter(prefix=["blocwatch."]),
            related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"])), limit=50)
    names = sorted(e.event for e in page.events)
    assert names == sorted(["blocwatch.run.alerts",
                            *(f"blocwatch.alert.{kind}" for _, kind, _ in alerts)])
    assert sorted(e.payload["key"] for e in page.events if e.event.startswith(
        "blocwatch.alert.")) == [a[0] for a in alerts]


class Hook(ThreadingHTTPServer):
    """Receives webhook POSTs on 127.0.0.1 (the notification block's URL)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                hook.received.append(json.loads(self.rfile.read(size)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture()
def hook() -> Iterator[Hook]:
    server = Hook()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_automations_send_one_notification_per_run(prefect_server: PrefectServer,
                                                    hook: Hook, tmp_path: Path) -> None:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from blocwatch.alerts import Alert
    from flows.report import emit_run_alerts

    block = CustomWebhookNotificationBlock(
        name="blocwatch-test", url=f"http://127.0.0.1:{hook.server_address[1]}/hook",
        json_data={"subject": "{{subject}}", "body": "{{body}}"})
    block_id = block.save("blocwatch-test", overwrite=True)
    cmd = [str(BIN / "blocwatch"), "automations", "--block", "custom-webhook/blocwatch-test"]
    for _ in range(2):  # a second run replaces, it does not add
        out = subprocess.run(cmd, env=prefect_server.env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    with get_client(sync_client=True) as client:
        [alerts] = client.read_automations_by_name("blocwatch alerts")
        [overdue] = client.read_automations_by_name("blocwatch ingest overdue")
    assert [a.block_document_id for a in (*alerts.actions, *overdue.actions)] == [
        block_id, block_id]
    assert (alerts.trigger.posture, alerts.trigger.expect) == ("Reactive",
                                                               {"blocwatch.run.alerts"})
    assert (overdue.trigger.posture, overdue.trigger.within.total_seconds(),
            overdue.trigger.expect) == ("Proactive", 7200,
                                        {"prefect.flow-run.Completed",
                                         "prefect.flow-run.Partial"})
    assert overdue.trigger.match_related.model_dump() == {
        "prefect.resource.role": "deployment", "prefect.resource.name": "ingest"}

    # Ten new alerts in one run: one message.
    ten = [Alert(kind="spike", key=f"spike:e{i}:2026-07-06", message=f"E{i} spiked",
                 entity_id=f"e{i}") for i in range(10)]
    assert emit_run_alerts("ingest", "run-of-ten", ten)
    deadline = time.monotonic() + 120
    while not hook.received:
        assert time.monotonic() < deadline, "no notification arrived"
        time.sleep(0.5)
    [message] = hook.received
    assert message["subject"] == "blocwatch ingest: 10 new alerts"
    assert message["body"].splitlines() == ["blocwatch ingest: 10 new alerts",
                                            *(f"- spike: E{i} spiked" for i in range(10))]
    with get_client(sync_client=True) as client:
        for automation in (alerts, overdue):
            client.delete_automation(automation.id)
