"""Snapshots and rollback through the admin API (`ShoalAdmin_20261126.CreateSnapshot`,
`RestoreSnapshot`, `DeleteSnapshot`, `ListSnapshots`, `ResetDatabase`) with boto3 checking the
data, and their crash safety: a server killed with -9 mid-rollback comes back either before the
rollback or after it, never in between."""
import threading
import time

import boto3
import pytest

from conftest import Server, client_config, scan_items
from test_fault_injection import admin


@pytest.fixture
def own_server():
    s = Server("--shards", "3")
    yield s
    s.stop()


def client(server):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x", config=client_config())


def make_orders(ddb, count):
    ddb.create_table(TableName="Orders", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                           {"AttributeName": "state", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "byState", "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for start in range(0, count, 25):
        ddb.batch_write_item(RequestItems={"Orders": [
            {"PutRequest": {"Item": {"id": {"S": f"o{i}"}, "state": {"S": "open"}, "n": {"N": str(i)}}}}
            for i in range(start, min(count, start + 25))]})


def by_state(ddb, state):
    return ddb.query(TableName="Orders", IndexName="byState", KeyConditionExpression="#s = :s",
                     ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":s": {"S": state}}, Select="COUNT")["Count"]


def test_snapshot_rollback_list_delete_and_reset(own_server):
    ddb = client(own_server)
    make_orders(ddb, 200)
    assert admin(own_server, "CreateSnapshot", {"Name": "seeded"})[0] == 200
    for i in range(50):
        ddb.update_item(TableName="Orders", Key={"id": {"S": f"o{i}"}}, UpdateExpression="SET #s = :c",
                        ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":c": {"S": "closed"}})
    ddb.delete_item(TableName="Orders", Key={"id": {"S": "o199"}})
    ddb.create_table(TableName="Extra", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    assert (by_state(ddb, "open"), by_state(ddb, "closed")) == (149, 50)

    status, answer = admin(own_server, "RestoreSnapshot", {"Name": "seeded"})
    assert status == 200 and answer["ChangesUndone"] > 50, answer
    assert ddb.list_tables()["TableNames"] == ["Orders"]
    assert (by_state(ddb, "open"), by_state(ddb, "closed")) == (200, 0)
    items = scan_items(ddb, "Orders")
    assert sorted(int(i["n"]["N"]) for i in items) == list(range(200))

    status, answer = admin(own_server, "ListSnapshots", {})
    assert status == 200 and [s["Name"] for s in answer["Snapshots"]] == ["seeded"]
    assert isinstance(answer["Snapshots"][0]["CreationDateTime"], float)

    # DynamoDB-shaped errors.
    status, answer = admin(own_server, "CreateSnapshot", {"Name": "seeded"})
    assert status == 400 and answer["__type"].endswith("ResourceInUseException") and answer["message"] == "Snapshot seeded already exists"
    status, answer = admin(own_server, "RestoreSnapshot", {"Name": "missing"})
    assert status == 400 and answer["__type"].endswith("ResourceNotFoundException") and answer["message"] == "Snapshot missing not found"
    status, answer = admin(own_server, "CreateSnapshot", {})
    assert status == 400 and answer["__type"].endswith("ValidationException") and answer["message"] == "Name is required"
    status, answer = admin(own_server, "CreateSnapshot", {"Name": "no spaces"})
    assert status == 400 and answer["__type"].endswith("ValidationException"), answer
    status, answer = admin(own_server, "ReshardDataDirectory", {"ShardCount": 4})
    assert status == 400 and "delete them (DeleteSnapshot) before resharding" in answer["message"], answer

    assert admin(own_server, "DeleteSnapshot", {"Name": "seeded"})[0] == 200
    assert admin(own_server, "ListSnapshots", {})[1]["Snapshots"] == []
    assert admin(own_server, "ResetDatabase", {})[0] == 200
    assert ddb.list_tables()["TableNames"] == []


def test_requests_during_a_rollback_wait_and_see_the_rolled_back_data(own_server):
    ddb = client(own_server)
    make_orders(ddb, 100)
    admin(own_server, "CreateSnapshot", {"Name": "base"})
    for i in range(100, 300):
        ddb.put_item(TableName="Orders", Item={"id": {"S": f"o{i}"}, "state": {"S": "open"}})
    counts = []
    readers = [threading.Thread(target=lambda: counts.append(client(own_server).scan(TableName="Orders", Select="COUNT")["Count"]))
               for _ in range(8)]
    for r in readers:
        r.start()
    assert admin(own_server, "RestoreSnapshot", {"Name": "base"})[0] == 200
    for r in readers:
        r.join()
    # Every read saw one whole state: before the rollback or after it.
    assert len(counts) == 8 and set(counts) <= {100, 300}, counts
    assert ddb.scan(TableName="Orders", Select="COUNT")["Count"] == 100


def test_snapshots_survive_kill_9_and_a_killed_rollback_is_never_half_done():
    server = Server("--shards", "3")
    try:
        ddb = client(server)
        make_orders(ddb, 300)
        admin(server, "CreateSnapshot", {"Name": "base"})
        for start in range(300, 6300, 25):
            ddb.batch_write_item(RequestItems={"Orders": [
                {"PutRequest": {"Item": {"id": {"S": f"o{i}"}, "state": {"S": "later"}}}} for i in range(start, start + 25)]})
        # A kill -9 with the journal live: the snapshot and its journal survive.
        server.kill()
        server = Server("--shards", "3", data=server.data)
        ddb = client(server)
        assert [s["Name"] for s in admin(server, "ListSnapshots", {})[1]["Snapshots"]] == ["base"]
        assert ddb.scan(TableName="Orders", Select="COUNT")["Count"] == 6300

        # Kill it while it rolls back 6,000 puts: it comes back at one of the two states.
        def roll_back(target=server):
            try:
                admin(target, "RestoreSnapshot", {"Name": "base"})
            except OSError:
                pass  # the connection dies with the server
        rolling = threading.Thread(target=roll_back)
        rolling.start()
        time.sleep(0.01)
        server.kill()
        rolling.join()
        server = Server("--shards", "3", data=server.data)
        ddb = client(server)
        count = ddb.scan(TableName="Orders", Select="COUNT")["Count"]
        assert count in (300, 6300), count
        assert by_state(ddb, "later") == count - 300
        # Either way the snapshot still rolls back.
        assert admin(server, "RestoreSnapshot", {"Name": "base"})[0] == 200
        assert ddb.scan(TableName="Orders", Select="COUNT")["Count"] == 300
        assert by_state(ddb, "open") == 300
    finally:
        server.stop()
