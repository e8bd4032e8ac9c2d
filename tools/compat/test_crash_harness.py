"""kill -9 under load, again and again: 8 clients put, update, delete and write cross-shard
transactions on a table with a GSI, an LSI, a stream, time to live and triggers, and the server
is killed while they write. After every restart: no acknowledged write is lost, the indexes
equal what the table says they hold, and (at the end) the stream has exactly one record per
change in per-key order, every record reached each trigger at least once and in per-key order,
and every transaction is all-or-nothing. Two servers take the beating: `shoal serve` with a
webhook trigger, and `shoal-crash-server` (the same server embedded in a Swift program) with a
webhook and an in-process closure trigger that logs what it receives to a file.
SHOAL_CRASH_ROUNDS sets the rounds (10 by default; 100 before an issue is resolved)."""
import os
import random
import threading
import time

import boto3
import pytest
from botocore.config import Config

from conftest import Server, shoal_binary
from test_triggers import Receiver, wait_for

ROUNDS = int(os.environ.get("SHOAL_CRASH_ROUNDS", "10"))
THREADS = 8
KEYS_PER_THREAD = 12
TABLE = "Crash"


def clients(server):
    kwargs = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                  aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10))
    return boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)


def lambda_client(server):
    return boto3.client("lambda", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def in_process_deliveries(path):
    """What the in-process function logged, in arrival order: (sequence number, key, value or
    None); a last line cut by the kill is left out."""
    with open(path) as f:
        text = f.read()
    lines = text.split("\n")[:-1]  # the part after the last newline is incomplete (or empty)
    result = []
    for line in lines:
        sequence, pk, value = line.split(" ")
        result.append((sequence, pk, None if value == "-" else int(value)))
    return result


def check_deliveries(name, deliveries, wanted):
    """Every wanted record arrived at least once, and each key's values arrived in order (a
    redelivery repeats what came before it, so the first arrival of each record counts)."""
    missing = wanted - {sequence for sequence, _, _ in deliveries}
    assert not missing, f"{name}: {len(missing)} records never delivered"
    seen, delivered = set(), {}
    for sequence, pk, value in deliveries:
        if sequence in seen:
            continue
        seen.add(sequence)
        if value is not None:
            delivered.setdefault(pk, []).append(value)
    for pk, values in delivered.items():
        if not pk.startswith("ttl-"):
            assert values == sorted(values), f"{name}: {pk} delivered out of order {values}"


def create_table(ddb):
    ddb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "byL", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                  {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})


def key(pk):
    return {"pk": {"S": pk}, "sk": {"N": "1"}}


class Model:
    """What each client knows: per key the last acknowledged value (None: absent) and, for a call
    cut off by the kill, the value it tried to write (either may be the truth)."""

    def __init__(self):
        self.state = {}
        self.uncertain = {}
        self.lock = threading.Lock()
        self.acks = 0
        self.counter = 0
        self.transactions = set()
        # Per key, every value an acknowledged call wrote.
        self.history = {}

    def next_value(self):
        with self.lock:
            self.counter += 1
            return self.counter


def writer(ddb, model, thread, stop):
    rng = random.Random(thread * 7919 + model.counter)
    mine = [f"t{thread}-{i}" for i in range(KEYS_PER_THREAD)]
    while not stop.is_set():
        value = model.next_value()
        choice = rng.random()
        pk = rng.choice(mine)
        try:
            if choice < 0.4:
                item = {**key(pk), "v": {"N": str(value)}, "g": {"S": f"g{value % 5}"}, "l": {"N": str(value % 9)}}
                attempt = {pk: value}
                with model.lock:
                    model.uncertain.update(attempt)
                ddb.put_item(TableName=TABLE, Item=item)
            elif choice < 0.65:
                attempt = {pk: value}
                with model.lock:
                    model.uncertain.update(attempt)
                ddb.update_item(TableName=TABLE, Key=key(pk), UpdateExpression="SET v = :v, g = :g",
                                ExpressionAttributeValues={":v": {"N": str(value)}, ":g": {"S": f"g{value % 5}"}})
            elif choice < 0.8:
                attempt = {pk: None}
                with model.lock:
                    model.uncertain.update(attempt)
                ddb.delete_item(TableName=TABLE, Key=key(pk))
            else:
                other = rng.choice([k for k in mine if k != pk])
                attempt = {pk: value, other: value}
                with model.lock:
                    model.uncertain.update(attempt)
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": {**key(k), "v": {"N": str(value)}, "tx": {"S": f"x{value}"}}}}
                    for k in (pk, other)])
                with model.lock:
                    model.transactions.add(f"x{value}")
        except Exception:
            return  # the server is gone: this call's outcome stays uncertain
        with model.lock:
            for k, v in attempt.items():
                model.state[k] = v
                model.uncertain.pop(k, None)
                if v is not None:
                    model.history.setdefault(k, []).append(v)
            model.acks += 1


def check_items(ddb, model):
    """Every acknowledged write is there; a cut-off call either happened or did not. The model
    then learns the truth."""
    for thread in range(THREADS):
        for i in range(KEYS_PER_THREAD):
            pk = f"t{thread}-{i}"
            item = ddb.get_item(TableName=TABLE, Key=key(pk), ConsistentRead=True).get("Item")
            actual = int(item["v"]["N"]) if item else None
            allowed = {model.state.get(pk)}
            if pk in model.uncertain:
                allowed.add(model.uncertain[pk])
            assert actual in allowed, f"{pk}: found {actual}, acknowledged {model.state.get(pk)}, attempted {model.uncertain.get(pk)}"
            model.state[pk] = actual
    model.uncertain.clear()


def scan_all(ddb, **kwargs):
    items, start = [], None
    while True:
        page = ddb.scan(TableName=TABLE, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def check_indexes(ddb):
    """Each index holds exactly the table's items that have its key attributes."""
    table = scan_all(ddb, ConsistentRead=True)
    expected_g = sorted((i["pk"]["S"], i["g"]["S"]) for i in table if "g" in i)
    expected_l = sorted((i["pk"]["S"], i["l"]["N"]) for i in table if "l" in i)
    assert sorted((i["pk"]["S"], i["g"]["S"]) for i in scan_all(ddb, IndexName="byG")) == expected_g
    assert sorted((i["pk"]["S"], i["l"]["N"]) for i in scan_all(ddb, IndexName="byL")) == expected_l


def stream_records(ddb, streams):
    arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def values_per_key(records):
    """Per key, the value each record left (None for a removal), in stream order."""
    per_key = {}
    for r in sorted(records, key=lambda r: (r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["SequenceNumber"]))):
        image = r["dynamodb"].get("NewImage")
        per_key.setdefault(r["dynamodb"]["Keys"]["pk"]["S"], []).append(int(image["v"]["N"]) if image else None)
    return per_key


def crash_server_binary():
    return os.path.join(os.path.dirname(shoal_binary()), "shoal-crash-server")


@pytest.mark.parametrize("embedded", [False, True], ids=["shoal-serve", "embedded-with-closure-trigger"])
def test_kill_minus_nine_under_load_keeps_every_promise(embedded, tmp_path):
    hook = Receiver()
    folder = str(tmp_path)
    triggers = os.path.join(folder, "triggers.yaml")
    with open(triggers, "w") as f:
        f.write(f"Functions:\n  hook:\n    Webhook: {hook.url}\n    Timeout: 10\n"
                f"EventSourceMappings:\n  - FunctionName: hook\n    Table: {TABLE}\n    StartingPosition: TRIM_HORIZON\n"
                f"    BatchSize: 100\n")
    args = ("--triggers", triggers, "--durability", "sync", "--ttl-period", "0.2")
    binary = crash_server_binary() if embedded else None
    server = Server(*args, binary=binary)
    model = Model()
    expired_keys = [f"ttl-{i}" for i in range(10)]
    try:
        ddb, streams = clients(server)
        create_table(ddb)
        if embedded:
            arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
            lambda_client(server).create_event_source_mapping(FunctionName="inprocess", EventSourceArn=arn,
                                                              StartingPosition="TRIM_HORIZON", BatchSize=100)
        for pk in expired_keys:
            ddb.put_item(TableName=TABLE, Item={**key(pk), "v": {"N": "0"}, "exp": {"N": str(int(time.time()) - 60)}})
        for round_ in range(ROUNDS):
            stop = threading.Event()
            target = model.acks + 80
            workers = [threading.Thread(target=writer, args=(clients(server)[0], model, t, stop)) for t in range(THREADS)]
            for w in workers:
                w.start()
            deadline = time.time() + 60
            while model.acks < target and time.time() < deadline:
                time.sleep(0.005)
            assert model.acks >= target, f"round {round_}: writers stalled at {model.acks}"
            server.kill()
            stop.set()
            for w in workers:
                w.join()
            server = Server(*args, data=server.data, binary=binary)
            ddb, streams = clients(server)
            check_items(ddb, model)
            check_indexes(ddb)

        # The stream: one record per change, in per-key order (values only grow), none twice.
        records = stream_records(ddb, streams)
        per_key = values_per_key(records)
        for pk, values in per_key.items():
            if pk.startswith("ttl-"):
                continue
            written = [v for v in values if v is not None]
            assert written == sorted(written) and len(written) == len(set(written)), f"{pk}: {values}"
            lost = set(model.history.get(pk, [])) - set(written)
            assert not lost, f"{pk}: acknowledged writes without a stream record: {sorted(lost)}"
            final = values[-1] if values else None
            assert final == model.state.get(pk), f"{pk}: stream ends at {final}, item is {model.state.get(pk)}"
        # Transactions: both items' records carry the transaction, or neither does.
        by_tx = {}
        for r in records:
            image = r["dynamodb"].get("NewImage", {})
            if "tx" in image:
                by_tx.setdefault(image["tx"]["S"], set()).add(r["dynamodb"]["Keys"]["pk"]["S"])
        assert model.transactions <= set(by_tx)
        assert all(len(keys) == 2 for keys in by_tx.values()), [t for t, k in by_tx.items() if len(k) != 2]
        # Time to live: the expired items went, removed by the service.
        assert wait_for(lambda: all("Item" not in ddb.get_item(TableName=TABLE, Key=key(pk)) for pk in expired_keys), timeout=30)
        records = stream_records(ddb, streams)
        removals = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("ttl-") and r["eventName"] == "REMOVE"]
        assert len(removals) == len(expired_keys)
        assert all(r.get("userIdentity", {}).get("PrincipalId") == "dynamodb.amazonaws.com" for r in removals)
        # The triggers: every record delivered at least once, each key's records in order.
        wanted = {r["dynamodb"]["SequenceNumber"] for r in records}

        def webhook_deliveries():
            return [(r["dynamodb"]["SequenceNumber"], r["dynamodb"]["Keys"]["pk"]["S"],
                     int(r["dynamodb"]["NewImage"]["v"]["N"]) if "v" in r["dynamodb"].get("NewImage", {}) else None)
                    for r in hook.records()]
        assert wait_for(lambda: wanted <= {d[0] for d in webhook_deliveries()}, timeout=60)
        check_deliveries("webhook", webhook_deliveries(), wanted)
        if embedded:
            log = os.path.join(server.data, "inprocess.log")
            assert wait_for(lambda: wanted <= {d[0] for d in in_process_deliveries(log)}, timeout=60)
            check_deliveries("in-process", in_process_deliveries(log), wanted)
    finally:
        server.stop()
        hook.close()
