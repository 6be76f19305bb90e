"""One ingest in a child process, so the benchmark can watch its memory (the process and
its extraction workers) and nothing else of the benchmark shares its interpreter.

    python -m bench.child flow|plain SPEC_JSON

SPEC_JSON: {"sources": ..., "taxonomy": ..., "data_dir": ..., "resolve": {...},
"workers": 2}. Prints one JSON line with the timings.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any


def run_flow(spec: dict[str, Any]) -> dict[str, Any]:
    """The real ingest flow against the Prefect API in PREFECT_API_URL."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.ingest import ingest

    started = time.perf_counter()
    state = ingest(sources_file=spec["sources"], taxonomy_file=spec["taxonomy"],
                   data_dir=spec["data_dir"], resolve=spec["resolve"],
                   workers=spec.get("workers"), return_state=True)
    seconds = time.perf_counter() - started
    summary = state.result()
    flow_run_id = state.state_details.flow_run_id
    task_runs: list[Any] = []
    with get_client(sync_client=True) as client:
        while True:  # the API pages by 200 at most
            page = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[flow_run_id])), limit=200, offset=len(task_runs))
            task_runs.extend(page)
            if len(page) < 200:
                break
    return {"seconds": seconds, "loaded": summary["loaded"], "failed": summary["failed"],
            "new": summary["new"], "task_runs": len(task_runs),
            "task_names": sorted({t.name.rsplit("-", 1)[0] for t in task_runs})}


def run_plain_child(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.plain import run_plain

    out = run_plain(Path(spec["sources"]), Path(spec["taxonomy"]), Path(spec["data_dir"]),
                    spec["resolve"], spec.get("workers"))
    return asdict(out)


def main(argv: list[str]) -> int:
    mode, spec = argv[0], json.loads(argv[1])
    result = run_flow(spec) if mode == "flow" else run_plain_child(spec)
    print("BENCH-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
