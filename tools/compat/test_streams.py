"""DynamoDB Streams through boto3's `dynamodbstreams` client against `shoal serve`."""
import random
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import client_config, error_code, error_message


@pytest.fixture(scope="module")
def streams(server):
    return boto3.client("dynamodbstreams", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="anything", aws_secret_access_key="anything", config=client_config())


def create_streamed(ddb, name, view="NEW_AND_OLD_IMAGES"):
    return ddb.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]


def read_all(streams, arn):
    """The consumer loop of a DynamoDB Streams client: describe, then read every shard to its end."""
    records = []
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    for shard in description["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=50)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def test_a_consumer_rebuilds_the_table_from_the_stream(ddb, streams, table_name):
    created = create_streamed(ddb, table_name)
    arn = created["LatestStreamArn"]
    assert created["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert arn.startswith(f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}/stream/")
    assert arn.endswith(created["LatestStreamLabel"])
    rng = random.Random(7)
    for _ in range(300):
        key = {"pk": {"S": f"p{rng.randrange(15)}"}, "sk": {"N": str(rng.randrange(4))}}
        op = rng.randrange(4)
        if op == 0:
            ddb.put_item(TableName=table_name, Item={**key, "v": {"N": str(rng.randrange(3))}})
        elif op == 1:
            ddb.update_item(TableName=table_name, Key=key, UpdateExpression="SET w = :w",
                            ExpressionAttributeValues={":w": {"S": str(rng.randrange(3))}})
        elif op == 2:
            ddb.delete_item(TableName=table_name, Key=key)
        else:
            ddb.batch_write_item(RequestItems={table_name: [{"PutRequest": {"Item": {**key, "b": {"BOOL": True}}}}]})
    records = read_all(streams, arn)
    assert records, "the stream is empty"
    rebuilt = {}
    for record in records:
        assert record["eventSource"] == "aws:dynamodb" and record["eventVersion"] == "1.1"
        data = record["dynamodb"]
        assert data["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        key = (data["Keys"]["pk"]["S"], data["Keys"]["sk"]["N"])
        if record["eventName"] == "REMOVE":
            assert "NewImage" not in data and key in rebuilt
            del rebuilt[key]
        else:
            assert (record["eventName"] == "INSERT") == (key not in rebuilt)
            if record["eventName"] == "MODIFY":
                assert data["OldImage"] == rebuilt[key] and data["NewImage"] != data["OldImage"]
            rebuilt[key] = data["NewImage"]
    scanned = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table_name):
        for item in page["Items"]:
            scanned[(item["pk"]["S"], item["sk"]["N"])] = item
    assert rebuilt == scanned


def test_list_describe_iterators_and_errors(ddb, streams, table_name):
    arn = create_streamed(ddb, table_name, "KEYS_ONLY")["LatestStreamArn"]
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "secret": {"S": "x"}})
    listed = streams.list_streams(TableName=table_name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": table_name, "StreamLabel": arn.rsplit("/", 1)[1]}]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED" and description["StreamViewType"] == "KEYS_ONLY"
    assert description["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert all("EndingSequenceNumber" not in s["SequenceNumberRange"] for s in description["Shards"])
    children = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": description["Shards"][0]["ShardId"]})
    assert children["StreamDescription"]["Shards"] == []  # no resharding yet: no child shards
    records = read_all(streams, arn)
    assert len(records) == 1 and records[0]["eventName"] == "INSERT"
    assert records[0]["dynamodb"]["Keys"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    assert "NewImage" not in records[0]["dynamodb"]
    shard = [s for s in description["Shards"] if s["ShardId"]][0]["ShardId"]
    with pytest.raises(ClientError) as e:
        streams.get_records(ShardIterator="not-an-iterator")
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=arn + "0")
    assert error_code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert error_code(e) == "ValidationException"
    # Enabling an enabled stream is refused; disabling closes the shards; enabling again is a new stream.
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    assert error_message(e) == f"Table already has an enabled stream: TableName: {table_name}"
    disabled = ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert disabled["StreamSpecification"] == {"StreamEnabled": False} and disabled["LatestStreamArn"] == arn
    closed = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert closed["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in closed["Shards"])
    enabled = ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    assert enabled["LatestStreamArn"] != arn
    assert {s["StreamArn"] for s in streams.list_streams(TableName=table_name)["Streams"]} == {arn, enabled["LatestStreamArn"]}
    # The old stream stays readable, also after the table is deleted.
    ddb.delete_table(TableName=table_name)
    assert len(read_all(streams, arn)) == 1
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def test_kill_9_keeps_exactly_the_committed_changes_in_the_stream():
    """A record exists exactly when its item change committed: after kill -9 and a restart, every
    acknowledged put has its INSERT record, and every record's item is in the table."""
    import threading
    from conftest import Server, kill_during_writes

    s = Server("--durability", "sync")

    def client(kind, server):
        return boto3.client(kind, endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="a",
                            aws_secret_access_key="b", config=client_config())
    create_streamed(client("dynamodb", s), "crash")
    acknowledged, lock = [], threading.Lock()

    def writer(n, stop):
        c = client("dynamodb", s)
        i = 0
        while not stop.is_set():
            try:
                c.put_item(TableName="crash", Item={"pk": {"S": f"w{n}-{i}"}, "sk": {"N": "1"}})
            except Exception:
                return
            with lock:
                acknowledged.append(f"w{n}-{i}")
            i += 1
    kill_during_writes(s, writer, acknowledged, 300)
    again = Server("--durability", "sync", data=s.data)
    try:
        ddb, streams = client("dynamodb", again), client("dynamodbstreams", again)
        arn = ddb.describe_table(TableName="crash")["Table"]["LatestStreamArn"]
        recorded = [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)]
        assert len(recorded) == len(set(recorded))
        stored = set()
        for page in ddb.get_paginator("scan").paginate(TableName="crash"):
            stored |= {item["pk"]["S"] for item in page["Items"]}
        assert set(acknowledged) <= set(recorded)
        assert set(recorded) == stored
    finally:
        again.stop()


def test_aws_cli_reads_the_stream(ddb, server, table_name):
    """`aws dynamodbstreams` works unchanged."""
    import json
    import os
    import subprocess
    arn = create_streamed(ddb, table_name)["LatestStreamArn"]
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "cli"}, "sk": {"N": "1"}})
    env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_DEFAULT_REGION="us-east-1")

    def cli(*args):
        out = subprocess.run(["aws", "--endpoint-url", server.endpoint, "dynamodbstreams", *args, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    shards = cli("describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"]
    found = []
    for shard in shards:
        iterator = cli("get-shard-iterator", "--stream-arn", arn, "--shard-id", shard["ShardId"],
                       "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
        found += cli("get-records", "--shard-iterator", iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in found] == ["cli"]
