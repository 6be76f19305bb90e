"""Worker initializer for tests/test_worker_crash.py: makes one chosen page kill the worker
process outright, as a segfault in lxml or an out-of-memory kill would."""

from __future__ import annotations

import os
import signal
from typing import Any

import blocwatch.stages.page
from blocwatch.stages.page import init_worker


def init(taxonomy_path: str, crash_url: str) -> None:
    init_worker(taxonomy_path)
    real = blocwatch.stages.page.process_page

    def process_page(page: Any, *args: Any, **kwargs: Any) -> Any:
        if page.url == crash_url:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(page, *args, **kwargs)

    # The pool pickles process_page by name, so the worker resolves it to this wrapper.
    blocwatch.stages.page.process_page = process_page


def square_or_die(n: int) -> int:
    if n < 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n


def fail_to_start() -> None:
    raise RuntimeError("this worker cannot start")
