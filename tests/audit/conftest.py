"""The audit tests' collector: a real HTTP receiver in its own process (checkpoint shipping, the audit stream)."""

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

RECEIVER = textwrap.dedent(
    """
    import http.server, sys
    out = open(sys.argv[1], "ab", buffering=0)
    status = int(sys.argv[3])
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if status < 300:
                out.write(body.rstrip(b"\\n") + b"\\n")
            self.send_response(status)
            self.end_headers()
        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
    print("ready", flush=True)
    server.serve_forever()
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def receiver(tmp_path):
    """An HTTP receiver in its own process on 127.0.0.1; `start()` (re)starts it (`start(status=500)`: up but
    refusing, recording nothing), `stop()` takes it down, `bodies()` is every accepted JSON line in arrival order."""
    port = free_port()
    out = tmp_path / "received.jsonl"
    out.touch()
    procs = []

    def stop():
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)

    def start(status: int = 204):
        stop()
        proc = subprocess.Popen(
            [sys.executable, "-c", RECEIVER, str(out), str(port), str(status)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        procs.append(proc)

    def bodies():
        return [json.loads(line) for line in out.read_text().splitlines()]

    yield type(
        "Receiver", (), {"url": f"http://127.0.0.1:{port}/checkpoints", "start": start, "stop": stop, "bodies": bodies}
    )
    stop()


@contextlib.contextmanager
def tcp_syslog():
    """A syslog listening on TCP on a free loopback port for one connection: yields (port, received); after the
    block, `received` holds the bytes of that connection."""
    received: list[bytes] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(10)

        def accept():
            conn, _ = server.accept()
            with conn:
                data = b""
                while chunk := conn.recv(65535):
                    data += chunk
                received.append(data)

        thread = threading.Thread(target=accept)
        thread.start()
        try:
            yield server.getsockname()[1], received
        finally:
            thread.join(10)
