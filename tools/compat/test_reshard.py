"""`shoal reshard`: 4 → 7 → 3 shards on a directory a server wrote to (and was killed during),
with the reshard itself killed (SIGKILL) in each phase, then finished or rolled back; then 3 → 5
online through a running server under concurrent writes, and online again with the server killed
in each step of it (copying while serving, holding requests, cleaning up), then recovered. Every
acknowledged item, index entry and stream record is checked through a server after each step, the
stream read through its shard lineage with boto3's `dynamodbstreams` client."""
import os
import shutil
import subprocess
import tempfile
import threading
import time

import boto3

from conftest import ACCESS_KEY, SECRET_KEY, Server, client_config, kill_during_writes, scan_items, shoal_binary


def client(server, service="dynamodb"):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="a", aws_secret_access_key="b", config=client_config())


def stream_records(server, arn):
    """Every record of the stream, each shard read after its parent, and the shards."""
    streams = client(server, "dynamodbstreams")
    shards = []
    start = None
    while True:
        kwargs = {"StreamArn": arn, **({"ExclusiveStartShardId": start} if start else {})}
        description = streams.describe_stream(**kwargs)["StreamDescription"]
        shards += description["Shards"]
        start = description.get("LastEvaluatedShardId")
        if not start:
            break
    ids = [shard["ShardId"] for shard in shards]
    records = []
    done = set()
    for shard in shards:
        parent = shard.get("ParentShardId")
        if parent in ids:
            assert parent in done, f"{shard['ShardId']} listed before its parent"
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if not page["Records"] and "EndingSequenceNumber" not in shard["SequenceNumberRange"]:
                break
            iterator = page.get("NextShardIterator")
        done.add(shard["ShardId"])
    return shards, records


def reshard(data, *args, crash_at=None, extra_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra_env or {})
    if crash_at:
        env["SHOAL_TEST_RESHARD_CRASH_AT"] = crash_at
    return subprocess.run([shoal_binary(), "reshard", "--data", data, "--durability", "nosync", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def check(folder, acknowledged, shards, generations, more=0):
    """Checks items, index and stream; then writes `more` new items (added to `acknowledged`).
    Returns the number of items then."""
    server = Server(data=folder)
    try:
        ddb = client(server)
        table = ddb.describe_table(TableName="moved")["Table"]
        items = {(i["pk"]["S"], i["sk"]["N"]): i for i in scan_items(ddb, "moved", ConsistentRead=True)}
        # Every acknowledged write is there, once; the count matches the table's own counters.
        assert set(acknowledged) <= set(items)
        assert table["ItemCount"] == len(items)
        # The stream: one INSERT per item (every write put a new key), none lost or doubled across
        # the reshards, with one generation of shards per layout the stream lived through.
        stream_shards, records = stream_records(server, table["LatestStreamArn"])
        keys = [(r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["Keys"]["sk"]["N"]) for r in records]
        assert all(r["eventName"] == "INSERT" for r in records)
        assert len(keys) == len(set(keys)) and set(keys) == set(items)
        assert len({r["dynamodb"]["SequenceNumber"] for r in records}) == len(records)
        assert len(stream_shards) == sum(generations)
        assert [s for s in stream_shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]] == stream_shards[-generations[-1]:]
        assert all("ParentShardId" in s for s in stream_shards[generations[0]:])
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
        for i in range(more):
            key = (f"after-{shards}-{len(items)}-{i}", "0")
            ddb.put_item(TableName="moved", Item={"pk": {"S": key[0]}, "sk": {"N": "0"}, "parity": {"S": "odd"}})
            acknowledged.append(key)
        return len(items) + more
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
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                         BillingMode="PAY_PER_REQUEST")
        acknowledged = []
        lock = threading.Lock()
        failures = []

        def writer_for(target, prefix):
            def writer(n, stop):
                own = client(target)
                i = 0
                while not stop.is_set():
                    i += 1
                    items = [{"PutRequest": {"Item": {"pk": {"S": f"{prefix}{n}-{i}-{j}"}, "sk": {"N": str(j)},
                                                      "parity": {"S": "even" if j % 2 == 0 else "odd"}}}} for j in range(25)]
                    try:
                        own.batch_write_item(RequestItems={"moved": items})
                    except Exception as error:
                        failures.append(error)
                        return
                    with lock:
                        acknowledged.extend((f"{prefix}{n}-{i}-{j}", str(j)) for j in range(25))
            return writer

        writer = writer_for(server, "w")

        # The server is killed while it writes: the reshard starts from a crashed directory.
        kill_during_writes(server, writer, acknowledged, at_least=6000)


        # Killed while copying: a server refuses the directory; rolling back restores 4 shards.
        killed = reshard(data, "--shards", "7", crash_at="copy:3")
        assert killed.returncode == -9, killed.stderr
        refused = subprocess.run([shoal_binary(), "serve", "--data", data, "--port", "0"], capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "interrupted reshard" in refused.stdout + refused.stderr
        other = reshard(data, "--shards", "5")
        assert other.returncode != 0 and "--shards 7" in other.stderr
        rolled = reshard(data, "--roll-back")
        assert rolled.returncode == 0, rolled.stderr
        total = check(folder, acknowledged, 4, [4], more=50)

        # Killed while copying again, then finished; then killed while cleaning up, then finished.
        assert reshard(data, "--shards", "7", crash_at="copy:5").returncode == -9
        done = reshard(data, "--shards", "7")
        assert done.returncode == 0, done.stderr
        assert "4 → 7 shards" in done.stdout
        assert check(folder, acknowledged, 7, [4, 7], more=50) == total + 50
        total += 50

        assert reshard(data, "--shards", "3", crash_at="cleanup:2").returncode == -9
        late = reshard(data, "--roll-back")
        assert late.returncode != 0 and "commit point" in late.stderr
        finished = reshard(data, "--shards", "3")
        assert finished.returncode == 0, finished.stderr
        total = check(folder, acknowledged, 3, [4, 7, 3], more=20)
        assert sorted(os.listdir(os.path.join(data, "shards"))) == ["000", "001", "002"]

        # Online, 3 → 5, while four writers keep writing: every request succeeds (those that
        # arrive during the reshard wait), every acknowledged write is kept.
        server = Server(data=folder)
        stop = threading.Event()
        workers = [threading.Thread(target=writer_for(server, "online"), args=(n, stop)) for n in range(4)]
        before = len(acknowledged)
        failures.clear()   # the writers killed with the first server failed, as they should
        for t in workers:
            t.start()
        time.sleep(0.5)
        online = reshard(data, "--shards", "5")
        time.sleep(0.5)
        stop.set()
        for t in workers:
            t.join()
        assert online.returncode == 0, online.stderr
        assert "served by" in online.stderr and "3 → 5 shards" in online.stdout
        assert not failures, failures
        assert len(acknowledged) > before
        assert client(server).describe_table(TableName="moved")["Table"]["ItemCount"] == total + len(acknowledged) - before
        server.process.send_signal(15)
        assert server.process.wait(timeout=30) == 0
        server.log.close()
        total = check(folder, acknowledged, 5, [4, 7, 3, 5])

        # Online, killed (SIGKILL) in each of its steps under writes:
        # - while copying and serving: the server restarts as it was (the half-made shard is ignored);
        # - while it holds requests, before the commit point: the command finishes it offline,
        #   copying afresh (copies made while writers wrote may be stale);
        # - shrinking, while it cleans up after the commit point: the command finishes it offline.
        generations = [4, 7, 3, 5]
        for target, crash_at, committed in [(6, "precopy:2", None), (6, "copy:1", False), (4, "cleanup:2", True)]:
            server = Server(data=folder, env={"SHOAL_TEST_RESHARD_CRASH_AT": crash_at})
            stop = threading.Event()
            workers = [threading.Thread(target=writer_for(server, f"killed-{crash_at}-"), args=(n, stop)) for n in range(4)]
            for t in workers:
                t.start()
            time.sleep(0.3)
            crashed = reshard(data, "--shards", str(target))
            stop.set()
            for t in workers:
                t.join()
            assert crashed.returncode != 0, crash_at
            assert server.process.wait(timeout=30) == -9, crash_at
            server.log.close()
            if committed is None:
                total = check(folder, acknowledged, generations[-1], generations)
                continue
            refused = subprocess.run([shoal_binary(), "serve", "--data", data, "--port", "0"], capture_output=True, text=True, timeout=60)
            assert refused.returncode != 0 and "interrupted reshard" in refused.stdout + refused.stderr
            if not committed:
                late = reshard(data, "--shards", str(generations[-1] + 2))
                assert late.returncode != 0 and f"--shards {target}" in late.stderr
            finished = reshard(data, "--shards", str(target))
            assert finished.returncode == 0, (crash_at, finished.stderr)
            generations.append(target)
            total = check(folder, acknowledged, target, generations)
        assert sorted(os.listdir(os.path.join(data, "shards"))) == ["000", "001", "002", "003"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_online_reshard_through_a_server_that_checks_signatures():
    """`shoal reshard` signs its request to the server with the `AWS_*` variables, as `shoal
    export` does; unsigned, the server refuses it like any other request."""
    credentials = tempfile.mkdtemp(prefix="shoal-creds-")
    path = os.path.join(credentials, "credentials")
    with open(path, "w") as f:
        f.write(f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    server = Server("--auth", "sigv4", "--credentials", path)
    try:
        ddb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=client_config())
        ddb.create_table(TableName="signed", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        for i in range(0, 300, 25):
            ddb.batch_write_item(RequestItems={"signed": [{"PutRequest": {"Item": {"pk": {"S": f"k{j}"}}}} for j in range(i, i + 25)]})
        data = os.path.join(server.data, "db")
        unsigned = reshard(data, "--shards", "6")
        assert unsigned.returncode != 0 and "HTTP 400" in unsigned.stderr, unsigned.stderr
        signed = reshard(data, "--shards", "6", extra_env={"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                                                           "AWS_REGION": "us-east-1"})
        assert signed.returncode == 0, signed.stderr
        assert "4 → 6 shards" in signed.stdout and "requests held for" in signed.stdout
        assert sorted(i["pk"]["S"] for i in scan_items(ddb, "signed")) == sorted(f"k{j}" for j in range(300))
        assert ddb.describe_table(TableName="signed")["Table"]["ItemCount"] == 300
    finally:
        server.stop()
        shutil.rmtree(credentials, ignore_errors=True)
