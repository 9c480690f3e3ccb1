"""A real webhook receiver process on a free loopback port, and a helper that runs the retries that are due."""

import ast
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils.module_loading import import_string
from django_q.models import Schedule

RECEIVER = Path(__file__).with_name("receiver.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Receiver:
    url: str
    secret: str
    log: Path
    process: subprocess.Popen

    def received(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def _start(tmp_path: Path, *args: str, secret: str = "receiver-secret") -> Receiver:
    port = free_port()
    log = tmp_path / f"received-{port}.jsonl"
    command = [sys.executable, str(RECEIVER), "--port", str(port), "--secret", secret, "--log", str(log), *args]
    process = subprocess.Popen(command)  # noqa: S603 (our own script)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("the webhook receiver did not start")
    return Receiver(url=f"http://127.0.0.1:{port}/hook", secret=secret, log=log, process=process)


@pytest.fixture
def start_receiver(tmp_path):
    """Start receivers (`start_receiver("--fail-first", "1")`); every one is stopped at the end of the test."""
    started: list[Receiver] = []

    def start(*args: str, secret: str = "receiver-secret") -> Receiver:
        receiver = _start(tmp_path, *args, secret=secret)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.process.terminate()
        receiver.process.wait(timeout=10)


def run_due_retries() -> int:
    """Run the one-off schedules of webhook retries now, as the worker's scheduler would when they fall due."""
    ran = 0
    for entry in Schedule.objects.filter(func="apps.integrations.tasks.deliver").order_by("pk"):
        args = ast.literal_eval(entry.args) if entry.args else ()
        entry.delete()
        import_string(entry.func)(*args)
        ran += 1
    return ran
