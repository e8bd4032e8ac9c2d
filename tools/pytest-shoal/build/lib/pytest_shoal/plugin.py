"""pytest fixtures that run `shoal serve --in-memory` for a test session and hand out boto3
clients pointed at it.

- `shoal_server`: the running server (session scope): `.endpoint`, `.port`, `.inject_fault(...)`,
  `.clear_faults()`. The executable is `--shoal-bin`, else `SHOAL_BIN`, else `shoal` on the PATH.
- `dynamodb_client`, `dynamodb_resource`, `dynamodb_streams_client`: boto3 for the server; after
  each test that uses one, the tables the test created are deleted and injected faults cleared, so
  tests do not see each other's tables.
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
    server = ShoalServer(_binary(pytestconfig))
    yield server
    server.stop()


def _table_names(client):
    names, start = [], None
    while True:
        page = client.list_tables(**({"ExclusiveStartTableName": start} if start else {}))
        names += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            return names


@pytest.fixture
def _shoal_isolation(shoal_server):
    """Deletes the tables a test created and clears its faults when it ends."""
    admin_client = shoal_server.client()
    before = set(_table_names(admin_client))
    yield
    shoal_server.clear_faults()
    for name in set(_table_names(admin_client)) - before:
        try:
            admin_client.update_table(TableName=name, DeletionProtectionEnabled=False)
            admin_client.delete_table(TableName=name)
        except admin_client.exceptions.ResourceNotFoundException:
            pass


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
