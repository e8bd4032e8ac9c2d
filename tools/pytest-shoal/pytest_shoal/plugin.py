"""pytest fixtures that run `shoal serve --in-memory` for a test session and hand out boto3
clients pointed at it.

- `shoal_server`: the running server (session scope): `.endpoint`, `.port`, `.inject_fault(...)`,
  `.clear_faults()`, snapshots (`.snapshot(name)`, `.rollback(name)`, `.delete_snapshot(name)`,
  `.snapshots()`, `.reset()`), `.set_baseline()`, and the clock (`.clock_millis()`,
  `.set_clock(epoch_millis)`, `.advance_clock(seconds)`; movable under `--shoal-clock manual`). The executable is `--shoal-bin`, else
  `SHOAL_BIN`, else `shoal` on the PATH.
- `dynamodb_client`, `dynamodb_resource`, `dynamodb_streams_client`: boto3 for the server; after
  each test that uses one, the whole database is rolled back to the baseline snapshot (taken
  when the server started, empty, or again by `set_baseline()` after a session fixture seeded
  data) and injected faults are cleared, so no test sees another's writes.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config


def pytest_addoption(parser):
    parser.addoption("--shoal-bin", default=None, help="the shoal executable (default: $SHOAL_BIN, else shoal on the PATH)")
    parser.addoption("--shoal-clock", default="system", choices=["system", "manual"],
                     help="the server's clock: manual stands still until a test sets or advances it (default: system)")


class ShoalServer:
    """A `shoal serve --in-memory` process on a free loopback port."""

    def __init__(self, binary, *extra):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([binary, "serve", "--in-memory", "--port", str(self.port), "--log-level", "warning", *extra],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                raise RuntimeError("shoal serve --in-memory did not start:\n" + self.log.read())
            time.sleep(0.02)

    def admin(self, operation, body=None):
        """One `ShoalAdmin_20261126` operation. - Returns: its JSON answer."""
        request = urllib.request.Request(self.endpoint + "/", data=json.dumps(body or {}).encode(), method="POST", headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "ShoalAdmin_20261126." + operation})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{operation}: {error.read().decode()}") from None

    def inject_fault(self, operation, error=None, table=None, count=None, probability=None, latency_millis=None):
        """Injects a fault (see the server's docs, "Faults for tests"). - Returns: its id."""
        body = {"Operation": operation}
        for key, value in (("Error", error), ("TableName", table), ("Count", count), ("Probability", probability),
                           ("LatencyMillis", latency_millis)):
            if value is not None:
                body[key] = value
        return self.admin("InjectFault", body)["FaultId"]

    def clear_faults(self):
        self.admin("ClearFaults")

    def clock_millis(self):
        """The server's time, in milliseconds since 1970."""
        return self.admin("GetClock")["EpochMillis"]

    def set_clock(self, epoch_millis):
        """Sets a manual clock; what came due (expiries, trims, trigger windows) has run on return."""
        return self.admin("SetClock", {"EpochMillis": epoch_millis})["EpochMillis"]

    def advance_clock(self, seconds):
        """Moves a manual clock forward; what came due has run on return."""
        return self.admin("AdvanceClock", {"Seconds": seconds})["EpochMillis"]

    BASELINE = "pytest-shoal-baseline"

    def snapshot(self, name):
        """Takes a snapshot of the whole database."""
        self.admin("CreateSnapshot", {"Name": name})

    def rollback(self, name):
        """Rolls the whole database back to the snapshot `name` (which stays)."""
        return self.admin("RestoreSnapshot", {"Name": name})

    def delete_snapshot(self, name):
        self.admin("DeleteSnapshot", {"Name": name})

    def snapshots(self):
        """The snapshots' names, oldest first."""
        return [s["Name"] for s in self.admin("ListSnapshots")["Snapshots"]]

    def reset(self):
        """Empties the database (the baseline goes with it; it is taken again, empty)."""
        self.admin("ResetDatabase")
        self.snapshot(self.BASELINE)

    def set_baseline(self):
        """Makes the database as it is now what every test starts from (for a session fixture
        that seeds data)."""
        if self.BASELINE in self.snapshots():
            self.delete_snapshot(self.BASELINE)
        self.snapshot(self.BASELINE)

    def client(self, service="dynamodb", **config):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="shoal",
                            aws_secret_access_key="shoal", config=Config(**config) if config else None)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def _binary(config):
    explicit = config.getoption("--shoal-bin") or os.environ.get("SHOAL_BIN")
    found = explicit or shutil.which("shoal")
    if not found:
        raise pytest.UsageError("pytest-shoal needs the shoal executable: --shoal-bin PATH, SHOAL_BIN, or shoal on the PATH")
    return found


@pytest.fixture(scope="session")
def shoal_server(pytestconfig):
    server = ShoalServer(_binary(pytestconfig), "--clock", pytestconfig.getoption("--shoal-clock"))
    server.snapshot(ShoalServer.BASELINE)
    yield server
    server.stop()


@pytest.fixture
def _shoal_isolation(shoal_server):
    """Rolls the database back to the baseline and clears the faults when a test ends."""
    yield
    shoal_server.clear_faults()
    shoal_server.rollback(ShoalServer.BASELINE)


@pytest.fixture
def dynamodb_client(shoal_server, _shoal_isolation):
    return shoal_server.client()


@pytest.fixture
def dynamodb_resource(shoal_server, _shoal_isolation):
    return boto3.resource("dynamodb", endpoint_url=shoal_server.endpoint, region_name="us-east-1",
                          aws_access_key_id="shoal", aws_secret_access_key="shoal")


@pytest.fixture
def dynamodb_streams_client(shoal_server, _shoal_isolation):
    return shoal_server.client("dynamodbstreams")
