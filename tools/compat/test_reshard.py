"""`shoal reshard`: 4 → 7 → 3 shards on a directory a server wrote to (and was killed during),
with the reshard itself killed (SIGKILL) in each phase, then finished or rolled back; every
acknowledged item and index entry is checked through a server afterwards."""
import os
import shutil
import subprocess
import tempfile
import threading

import boto3

from conftest import Server, client_config, kill_during_writes, scan_items, shoal_binary


def client(server):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="a", aws_secret_access_key="b", config=client_config())


def reshard(data, *args, crash_at=None):
    env = dict(os.environ)
    if crash_at:
        env["SHOAL_TEST_RESHARD_CRASH_AT"] = crash_at
    return subprocess.run([shoal_binary(), "reshard", "--data", data, "--durability", "nosync", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def check(folder, acknowledged, shards):
    server = Server(data=folder)
    try:
        ddb = client(server)
        table = ddb.describe_table(TableName="moved")["Table"]
        items = {(i["pk"]["S"], i["sk"]["N"]): i for i in scan_items(ddb, "moved", ConsistentRead=True)}
        # Every acknowledged write is there, once; the count matches the table's own counters.
        assert set(acknowledged) <= set(items)
        assert table["ItemCount"] == len(items)
        evens = 0
        start = None
        while True:
            kwargs = {"TableName": "moved", "IndexName": "byParity", "KeyConditionExpression": "parity = :p",
                      "ExpressionAttributeValues": {":p": {"S": "even"}}}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.query(**kwargs)
            evens += len(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert evens == sum(1 for i in items.values() if i["parity"]["S"] == "even")
        stats = subprocess.run([shoal_binary(), "stats", "--data", os.path.join(folder, "db")], capture_output=True, text=True, timeout=60)
        assert stats.stdout.startswith(f"shards: {shards}\n"), stats.stdout
        return len(items)
    finally:
        server.process.send_signal(15)
        assert server.process.wait(timeout=30) == 0
        server.log.close()


def test_reshard_4_7_3_with_kills_resumes_and_rolls_back():
    folder = tempfile.mkdtemp(prefix="shoal-reshard-")
    data = os.path.join(folder, "db")
    try:
        server = Server(data=folder)
        ddb = client(server)
        ddb.create_table(TableName="moved",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                               {"AttributeName": "parity", "AttributeType": "S"}],
                         GlobalSecondaryIndexes=[{"IndexName": "byParity", "KeySchema": [{"AttributeName": "parity", "KeyType": "HASH"}],
                                                  "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                         BillingMode="PAY_PER_REQUEST")
        acknowledged = []
        lock = threading.Lock()

        def writer(n, stop):
            own = client(server)
            i = 0
            while not stop.is_set():
                i += 1
                items = [{"PutRequest": {"Item": {"pk": {"S": f"w{n}-{i}-{j}"}, "sk": {"N": str(j)},
                                                  "parity": {"S": "even" if j % 2 == 0 else "odd"}}}} for j in range(25)]
                try:
                    own.batch_write_item(RequestItems={"moved": items})
                except Exception:
                    return
                with lock:
                    acknowledged.extend((f"w{n}-{i}-{j}", str(j)) for j in range(25))

        # The server is killed while it writes: the reshard starts from a crashed directory.
        kill_during_writes(server, writer, acknowledged, at_least=6000)

        # Refused while a server holds the directory.
        server = Server(data=folder)
        held = reshard(data, "--shards", "7")
        assert held.returncode != 0 and "stop the server first" in held.stderr
        server.process.send_signal(15)
        assert server.process.wait(timeout=30) == 0
        server.log.close()

        # Killed while copying: a server refuses the directory; rolling back restores 4 shards.
        killed = reshard(data, "--shards", "7", crash_at="copy:3")
        assert killed.returncode == -9, killed.stderr
        refused = subprocess.run([shoal_binary(), "serve", "--data", data, "--port", "0"], capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "interrupted reshard" in refused.stdout + refused.stderr
        other = reshard(data, "--shards", "5")
        assert other.returncode != 0 and "--shards 7" in other.stderr
        rolled = reshard(data, "--roll-back")
        assert rolled.returncode == 0, rolled.stderr
        total = check(folder, acknowledged, 4)

        # Killed while copying again, then finished; then killed while cleaning up, then finished.
        assert reshard(data, "--shards", "7", crash_at="copy:5").returncode == -9
        done = reshard(data, "--shards", "7")
        assert done.returncode == 0, done.stderr
        assert "4 → 7 shards" in done.stdout
        assert check(folder, acknowledged, 7) == total

        assert reshard(data, "--shards", "3", crash_at="cleanup:2").returncode == -9
        late = reshard(data, "--roll-back")
        assert late.returncode != 0 and "commit point" in late.stderr
        finished = reshard(data, "--shards", "3")
        assert finished.returncode == 0, finished.stderr
        assert check(folder, acknowledged, 3) == total
        assert sorted(os.listdir(os.path.join(data, "shards"))) == ["000", "001", "002"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
