"""bench/ticket_open_load.py's wrk runs: the Lua script it writes and the statistics it reads.

No load: the one run of wrk sends a few dozen requests, paced, to a stub server in a thread, and
no test asserts a time."""

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.ticket_open_load import SUBJECTS, Load, _lua_string, _stats, _threads, wrk_script

TARGETS = [(11, 101), (12, 102), (13, 103)]


def test_lua_string_escapes_quotes_backslashes_and_every_byte_beyond_printable_ascii():
    assert _lua_string("Bearer kefu_abc-9") == '"Bearer kefu_abc-9"'
    assert _lua_string('a"b\\c\n') == '"a\\034b\\092c\\010"'
    # Each byte of UTF-8 on its own, three digits, so that a following digit is not swallowed.
    assert _lua_string("空1") == '"\\231\\169\\1861"'


def test_wrk_script_carries_the_targets_token_and_the_schedule_of_each_thread(tmp_path):
    paced = wrk_script(
        targets=TARGETS, token="kefu_tok", result=tmp_path / "r.json", rate=300.0, threads=2, run="paced-1"
    )
    assert "local TARGETS = {{11, 101}, {12, 102}, {13, 103}}" in paced
    assert 'local TOKEN = "kefu_tok"' in paced
    assert 'local RUN = "paced-1"' in paced
    # Two threads sharing 300/s: a slot every 1000 * 2 / 300 ms in each.
    assert f"local PERIOD = {1000.0 * 2 / 300.0!r}" in paced
    # One body tail per subject, its JSON closed.
    assert paced.count(_lua_string('"channel": "phone"}')[1:-1]) == len(SUBJECTS)
    capacity = wrk_script(
        targets=TARGETS, token="kefu_tok", result=tmp_path / "r.json", rate=None, threads=2, run="c"
    )
    assert "local PERIOD = 0 " in capacity


def test_connections_are_shared_out_evenly_between_wrk_threads():
    assert _threads(32) == 2
    assert _threads(4) == 2
    assert _threads(33) == 1  # wrk would give each of two threads 16 and drop the 33rd
    assert _threads(1) == 1


def test_stats_count_refused_answers_and_connection_errors_as_failures(tmp_path):
    path = tmp_path / "capacity.json"
    path.write_text(
        json.dumps(
            {
                "requests": 1000,
                "duration_us": 10_000_000,
                "connect": 1,
                "read": 2,
                "write": 0,
                "status": 4,
                "timeout": 3,
                "p50_us": 12_345,
                "p95_us": 45_000,
                "p99_us": 61_500,
                "mean_us": 15_000.5,
            }
        )
    )
    stats = _stats(path)
    assert stats["requests"] == 1000
    assert stats["failures"] == 10  # 4 answers other than 2xx/3xx, 6 requests never answered
    assert stats["succeeded"] == 996
    assert stats["rate"] == pytest.approx(99.6)
    assert (stats["p50"], stats["p95"], stats["p99"]) == (12.345, 45.0, 61.5)
    assert stats["average"] == pytest.approx(15.0005)


def test_stats_without_wrk_output_say_where_they_were_looked_for(tmp_path):
    with pytest.raises(RuntimeError, match="wrk wrote no statistics"):
        _stats(tmp_path / "missing.json")


class _Stub(BaseHTTPRequestHandler):
    """Answers each create 201, every fifth 422; keeps what it received."""

    protocol_version = "HTTP/1.1"
    received: list[tuple[str, dict, dict]] = []
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.received.append((self.path, dict(self.headers), body))
            status = 422 if len(self.received) % 5 == 0 else 201
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed: bash scripts/ensure-wrk.sh")
def test_a_paced_wrk_run_sends_distinct_creates_and_writes_its_statistics(tmp_path):
    _Stub.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        load = Load(tmp_path, server.server_address[1], {}, shutil.which("wrk"), "kefu_tok", TARGETS)
        stats = _stats(load.wrk_run("paced", 4, 1, rate=40.0))
    finally:
        server.shutdown()
        server.server_close()
    received = _Stub.received
    # 40 a second offered: about 40 sent in the second, where 4 connections without pacing
    # would send thousands. (Loose bounds: the machine may be busy; no time is asserted.)
    assert 10 <= len(received) <= 60
    assert stats["requests"] <= len(received)
    # Every fifth answer refused: wrk counts those it read before it stopped (at most one
    # request of each of the 4 connections was still in flight).
    refused = len(received) // 5
    assert refused - 4 <= stats["failures"] <= refused
    keys = [headers["Idempotency-Key"] for _path, headers, _body in received]
    assert len(set(keys)) == len(keys)
    for path, headers, body in received:
        assert path == "/api/v1/tickets"
        assert headers["Authorization"] == "Bearer kefu_tok"
        assert headers["Content-Type"] == "application/json"
        assert (body["customer"], body["product"]) in TARGETS
        assert body["subject"] in SUBJECTS
        assert body["description"] == body["subject"] + "，客户来电要求尽快上门。"
        assert (body["type"], body["channel"]) == ("repair", "phone")
