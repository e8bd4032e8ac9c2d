"""Fixtures that run a real `shoal serve` on a free loopback port and point AWS clients at it."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ACCESS_KEY = "AKIDSHOALTEST"
SECRET_KEY = "shoal/secret+key"


def shoal_binary():
    explicit = os.environ.get("SHOAL_BIN")
    if explicit:
        return explicit
    bin_path = subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip()
    return os.path.join(bin_path, "shoal")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `shoal serve` process with its own data directory."""

    def __init__(self, *extra, data=None, env=None, binary=None):
        """`data`: an existing temporary folder to serve again (its `db` directory); `env`: more
        environment variables for the process; `binary`: another executable that takes `serve`'s
        arguments (the crash harness's server with an in-process trigger)."""
        self.port = free_port()
        self.data = data or tempfile.mkdtemp(prefix="shoal-compat-")
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.data, "server.log"), "a+")
        self.process = subprocess.Popen(
            [binary or shoal_binary(), "serve", "--data", os.path.join(self.data, "db"), "--port", str(self.port),
             "--durability", "nosync", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                raise RuntimeError("shoal serve did not start:\n" + self.log.read())
            time.sleep(0.1)

    def kill(self):
        """kill -9, as a crash: nothing is flushed or closed; the data directory stays for a restart."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self):
        """SIGTERM, as an operator would: in-flight work finishes and the process exits 0."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
            assert code == 0, f"shoal serve exited with {code}"
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


def client_config():
    return Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session")
def ddb(server):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="anything", aws_secret_access_key="anything", config=client_config())


@pytest.fixture(scope="session")
def resource(server):
    return boto3.resource("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id="anything", aws_secret_access_key="anything", config=client_config())


@pytest.fixture
def table_name(ddb):
    """A unique table name; the table, if created, is deleted after the test."""
    name = "t_" + uuid.uuid4().hex[:12]
    yield name
    try:
        ddb.delete_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass


@pytest.fixture
def music(ddb, table_name):
    """A table keyed by Artist (S) and Song (S)."""
    ddb.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Song", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "Artist", "AttributeType": "S"}, {"AttributeName": "Song", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    return table_name


@pytest.fixture(scope="session")
def sigv4_server():
    directory = tempfile.mkdtemp(prefix="shoal-creds-")
    path = os.path.join(directory, "credentials")
    with open(path, "w") as f:
        f.write(f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    s = Server("--auth", "sigv4", "--credentials", path)
    yield s
    s.stop()
    shutil.rmtree(directory, ignore_errors=True)


def scan_items(ddb, name, **extra):
    """Every item of a table, through as many Scan pages as it takes."""
    items, start = [], None
    while True:
        kwargs = {"TableName": name, **extra}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(**kwargs)
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo):
    return excinfo.value.response["Error"]["Message"]


def kill_during_writes(server, writer, acknowledged, at_least, threads=4):
    """Runs `writer(n, stop)` on `threads` threads until `acknowledged` holds `at_least` entries,
    then kill -9s the server while they are still writing, and waits for the writers to end."""
    stop = threading.Event()
    workers = [threading.Thread(target=writer, args=(n, stop)) for n in range(threads)]
    for t in workers:
        t.start()
    deadline = time.time() + 60
    while len(acknowledged) < at_least and time.time() < deadline:
        time.sleep(0.01)
    assert len(acknowledged) >= at_least
    server.kill()
    stop.set()
    for t in workers:
        t.join()
