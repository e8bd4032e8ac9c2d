"""One process owns a data directory; `shoal stats` only reads; a killed server loses no acknowledged write."""
import os
import subprocess
import threading
import time

import boto3

from conftest import Server, client_config, kill_during_writes, shoal_binary


def test_a_second_server_on_the_same_directory_fails_at_once(server):
    directory = os.path.join(server.data, "db")
    result = subprocess.run([shoal_binary(), "serve", "--data", directory, "--port", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "is in use by another process" in result.stdout + result.stderr


def test_stats_reads_a_live_directory_and_never_creates_one(server, ddb, table_name, tmp_path):
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"k": {"S": str(i)}})
    result = subprocess.run([shoal_binary(), "stats", "--data", os.path.join(server.data, "db")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"{table_name}\titems: 3" in result.stdout
    missing = os.path.join(str(tmp_path), "typo")
    result = subprocess.run([shoal_binary(), "stats", "--data", missing], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "No Shoal data directory" in result.stdout + result.stderr
    assert not os.path.exists(missing)


def test_kill_9_keeps_every_acknowledged_write():
    s = Server("--durability", "sync")
    data = os.path.join(s.data, "db")
    ddb = boto3.client("dynamodb", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id="a",
                       aws_secret_access_key="b", config=client_config())
    ddb.create_table(TableName="crash", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    acknowledged = []
    lock = threading.Lock()

    def writer(n, stop):
        client = boto3.client("dynamodb", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id="a",
                              aws_secret_access_key="b", config=client_config())
        i = 0
        while not stop.is_set():
            key = f"w{n}-{i}"
            try:
                client.batch_write_item(RequestItems={"crash": [{"PutRequest": {"Item": {"k": {"S": f"{key}-{j}"}}}} for j in range(5)]})
            except Exception:
                return
            with lock:
                acknowledged.extend(f"{key}-{j}" for j in range(5))
            i += 1

    kill_during_writes(s, writer, acknowledged, 500)
    # The kernel released the directory lock with the process: a new server opens it, and every
    # write acknowledged before the kill is there.
    again = Server("--durability", "sync", data=s.data)
    try:
        client = boto3.client("dynamodb", endpoint_url=again.endpoint, region_name="us-east-1", aws_access_key_id="a",
                              aws_secret_access_key="b", config=client_config())
        for start in range(0, len(acknowledged), 100):
            keys = [{"k": {"S": k}} for k in acknowledged[start:start + 100]]
            found = client.batch_get_item(RequestItems={"crash": {"Keys": keys}})
            assert not found["UnprocessedKeys"]
            assert len(found["Responses"]["crash"]) == len(keys)
    finally:
        again.stop()


def test_stats_changes_nothing_in_a_stopped_directory():
    """`shoal stats` opens read-only: every data file (not LMDB's lock files) is byte-identical after."""
    import hashlib
    s = Server()
    ddb = boto3.client("dynamodb", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id="a",
                       aws_secret_access_key="b", config=client_config())
    ddb.create_table(TableName="kept", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.create_table(TableName="dropped", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for i in range(50):
        ddb.put_item(TableName="kept", Item={"k": {"S": str(i)}})
        ddb.put_item(TableName="dropped", Item={"k": {"S": str(i)}})
    ddb.delete_table(TableName="dropped")   # its emptied database is dropped by the next writable open
    data = os.path.join(s.data, "db")
    s.kill()

    def snapshot():
        state = {}
        for root, _, files in os.walk(data):
            for name in files:
                if name in ("lock.mdb", "LOCK"):
                    continue
                path = os.path.join(root, name)
                state[os.path.relpath(path, data)] = (hashlib.sha256(open(path, "rb").read()).hexdigest(), os.stat(path).st_mtime_ns)
        return state

    before = snapshot()
    result = subprocess.run([shoal_binary(), "stats", "--data", data], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "kept\titems: 50" in result.stdout and "dropped" not in result.stdout
    assert "shard 0" in result.stdout
    assert snapshot() == before
