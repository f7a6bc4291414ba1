"""Fixtures for the link-reading tests: a live loopback HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fetch.loopback import LoopbackServer, start_server


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    state, httpd = start_server()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
