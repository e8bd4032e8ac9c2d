"""Global and local secondary indexes through boto3 (client and resource) against `shoal serve`."""
import os
import threading
import time
import uuid

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from conftest import Server, client_config, error_code, error_message


def create_indexed(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "email", "AttributeType": "S"}, {"AttributeName": "score", "AttributeType": "N"},
            {"AttributeName": "region", "AttributeType": "S"}, {"AttributeName": "tier", "AttributeType": "N"},
            {"AttributeName": "day", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {"IndexName": "byEmail", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "byRegionScore", "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"},
                                                         {"AttributeName": "score", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
            {"IndexName": "byRegionTier", "KeySchema": [
                {"AttributeName": "region", "KeyType": "HASH"}, {"AttributeName": "tier", "KeyType": "HASH"},
                {"AttributeName": "day", "KeyType": "RANGE"}, {"AttributeName": "score", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "byDay", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                 {"AttributeName": "day", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def indexed(ddb):
    name = "idx-" + uuid.uuid4().hex[:10]
    create_indexed(ddb, name)
    yield name
    ddb.delete_table(TableName=name)


def test_describe_lists_indexes(ddb, indexed):
    table = ddb.describe_table(TableName=indexed)["Table"]
    globals_ = {g["IndexName"]: g for g in table["GlobalSecondaryIndexes"]}
    assert sorted(globals_) == ["byEmail", "byRegionScore", "byRegionTier"]
    assert globals_["byEmail"]["IndexStatus"] == "ACTIVE"
    assert globals_["byEmail"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert globals_["byRegionScore"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}
    assert [k["KeyType"] for k in globals_["byRegionTier"]["KeySchema"]] == ["HASH", "HASH", "RANGE", "RANGE"]
    assert globals_["byEmail"]["IndexArn"].endswith(f"table/{indexed}/index/byEmail")
    local = table["LocalSecondaryIndexes"][0]
    assert local["IndexName"] == "byDay" and "IndexStatus" not in local


def test_query_and_scan_an_index(ddb, resource, indexed):
    table = resource.Table(indexed)
    table.put_item(Item={"pk": "a", "sk": 1, "email": "x@e", "region": "eu", "score": 5, "note": "n", "secret": "s"})
    table.put_item(Item={"pk": "b", "sk": 1, "email": "y@e", "region": "eu", "score": 3})
    table.put_item(Item={"pk": "c", "sk": 1, "region": "us", "score": 1})
    got = table.query(IndexName="byEmail", KeyConditionExpression=Key("email").eq("x@e"))["Items"]
    assert got == [{"pk": "a", "sk": 1, "email": "x@e"}]
    eu = table.query(IndexName="byRegionScore", KeyConditionExpression=Key("region").eq("eu"), ScanIndexForward=False)["Items"]
    assert [i["pk"] for i in eu] == ["a", "b"]
    assert eu[0] == {"pk": "a", "sk": 1, "region": "eu", "score": 5, "note": "n"}
    filtered = table.query(IndexName="byRegionScore", KeyConditionExpression=Key("region").eq("eu") & Key("score").gt(3))
    assert [i["pk"] for i in filtered["Items"]] == ["a"]
    count = ddb.query(TableName=indexed, IndexName="byRegionScore", Select="COUNT", KeyConditionExpression="#r = :r",
                      ExpressionAttributeNames={"#r": "region"}, ExpressionAttributeValues={":r": {"S": "eu"}})
    assert count["Count"] == 2 and "Items" not in count
    scanned = table.scan(IndexName="byEmail")["Items"]
    assert sorted(i["pk"] for i in scanned) == ["a", "b"]
    # Sparse: the item without an email is not in byEmail; moving and removing keys follow writes.
    table.update_item(Key={"pk": "a", "sk": 1}, UpdateExpression="SET email = :e", ExpressionAttributeValues={":e": "z@e"})
    assert table.query(IndexName="byEmail", KeyConditionExpression=Key("email").eq("x@e"))["Items"] == []
    table.update_item(Key={"pk": "a", "sk": 1}, UpdateExpression="REMOVE email")
    assert table.query(IndexName="byEmail", KeyConditionExpression=Key("email").eq("z@e"))["Items"] == []
    # A local index is strongly consistent and fetches unprojected attributes from the item.
    table.put_item(Item={"pk": "a", "sk": 2, "day": "d1", "secret": "s2"})
    local = table.query(IndexName="byDay", KeyConditionExpression=Key("pk").eq("a"), ConsistentRead=True, Select="ALL_ATTRIBUTES")
    assert local["Items"] == [{"pk": "a", "sk": 2, "day": "d1", "secret": "s2"}]


def test_multi_attribute_keys(resource, indexed):
    table = resource.Table(indexed)
    with table.batch_writer() as batch:
        for i in range(24):
            batch.put_item(Item={"pk": f"p{i}", "sk": 0, "region": "eu" if i % 2 == 0 else "us", "tier": i % 3,
                                 "day": f"d{i % 4}", "score": i})
    got = table.query(IndexName="byRegionTier", KeyConditionExpression=Key("region").eq("eu") & Key("tier").eq(0))["Items"]
    expected = sorted([i for i in range(24) if i % 2 == 0 and i % 3 == 0], key=lambda i: (f"d{i % 4}", i))
    assert [int(i["score"]) for i in got] == expected
    narrowed = table.query(IndexName="byRegionTier",
                           KeyConditionExpression=Key("region").eq("eu") & Key("tier").eq(0) & Key("day").eq("d0") & Key("score").gte(1))
    assert [int(i["score"]) for i in narrowed["Items"]] == [12]
    with pytest.raises(ClientError) as e:
        table.query(IndexName="byRegionTier", KeyConditionExpression=Key("region").eq("eu"))
    assert error_message(e) == ("Query key condition not supported: every HASH key attribute of index byRegionTier "
                                "needs an equality condition (missing: tier)")


def test_pagination_over_equal_index_keys(resource, indexed):
    table = resource.Table(indexed)
    with table.batch_writer() as batch:
        for i in range(150):
            batch.put_item(Item={"pk": f"p{i}", "sk": i, "region": "eu", "score": 7})
    for forward in (True, False):
        seen, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = table.query(IndexName="byRegionScore", KeyConditionExpression=Key("region").eq("eu"),
                               Limit=13, ScanIndexForward=forward, **kwargs)
            seen += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            assert set(start) == {"pk", "sk", "region", "score"}
        assert len(seen) == 150 and len({i["pk"] for i in seen}) == 150
    # Parallel scan of the index: every entry in exactly one segment.
    segments = [table.scan(IndexName="byRegionScore", Segment=s, TotalSegments=4)["Items"] for s in range(4)]
    assert sorted(i["pk"] for seg in segments for i in seg) == sorted(f"p{i}" for i in range(150))


def test_index_errors(ddb, indexed):
    def query(**kwargs):
        base = {"TableName": indexed, "KeyConditionExpression": "email = :e", "ExpressionAttributeValues": {":e": {"S": "x"}}}
        base.update(kwargs)
        return ddb.query(**base)
    with pytest.raises(ClientError) as e:
        query(IndexName="byEmail", ConsistentRead=True)
    assert error_message(e) == "Consistent reads are not supported on global secondary indexes"
    with pytest.raises(ClientError) as e:
        query(IndexName="byEmail", Select="ALL_ATTRIBUTES")
    assert error_message(e) == ("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for "
                                "global secondary index byEmail because its projection type is not ALL")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=indexed, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "email": {"N": "5"}})
    assert error_message(e) == "One or more parameter values were invalid: Type mismatch for Index Key email Expected: S Actual: N IndexName: byEmail"
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=indexed, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "email": {"S": ""}})
    assert error_message(e).endswith("cannot contain an empty string value. IndexName: byEmail, IndexKey: email")
    assert "Item" not in ddb.get_item(TableName=indexed, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})


def test_create_table_index_validation(ddb):
    name = "bad-" + uuid.uuid4().hex[:8]
    base = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base, LocalSecondaryIndexes=[{"IndexName": "loc", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "g", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}])
    assert error_message(e) == ("One or more parameter values were invalid: Table KeySchema does not have a range key, "
                                "which is required when specifying a LocalSecondaryIndex")
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base)
    assert error_message(e) == ("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
                                "number of attributes defined in AttributeDefinitions")
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base, GlobalSecondaryIndexes=[{"IndexName": "gi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                          "Projection": {"ProjectionType": "ALL"},
                                                          "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    assert error_message(e) == ("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: gi1 "
                                "when BillingMode is PAY_PER_REQUEST")
    assert name not in ddb.list_tables()["TableNames"]


def test_gsi_added_to_a_loaded_table_while_a_writer_runs(ddb, resource):
    name = "grow-" + uuid.uuid4().hex[:8]
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    table = resource.Table(name)
    with table.batch_writer() as batch:
        for i in range(3000):
            batch.put_item(Item={"id": f"i{i}", "g": f"g{i % 5}"})
    stop = threading.Event()
    written = []

    def writer():
        n = 0
        while not stop.is_set():
            table.put_item(Item={"id": f"w{n}", "g": "g0"})
            written.append(n)
            n += 1
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        answer = ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                                  GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "byG", "KeySchema": [
                                      {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
        index = answer["TableDescription"]["GlobalSecondaryIndexes"][0]
        assert index["IndexStatus"] in ("CREATING", "ACTIVE")
        deadline = time.time() + 60
        while True:
            status = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"]
            if status == "ACTIVE":
                break
            try:
                table.query(IndexName="byG", KeyConditionExpression=Key("g").eq("g0"))
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ValidationException"
            else:
                # The backfill ended between DescribeTable and the Query: only an ACTIVE index answers.
                assert ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
                break
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    items, start = [], None
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        page = table.query(IndexName="byG", KeyConditionExpression=Key("g").eq("g0"), **kwargs)
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) == 600 + len(written)
    assert ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 3000 + len(written)
    answer = ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byG"}}])
    assert answer["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "DELETING"
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    with pytest.raises(ClientError) as e:
        table.query(IndexName="byG", KeyConditionExpression=Key("g").eq("g0"))
    assert error_message(e) == "The table does not have the specified index: byG"
    ddb.delete_table(TableName=name)


def test_consumed_capacity_by_index(ddb, indexed):
    item = {"pk": {"S": "cap"}, "sk": {"N": "1"}, "email": {"S": "e@x"}, "region": {"S": "eu"}, "score": {"N": "2"},
            "tier": {"N": "1"}, "day": {"S": "d1"}, "note": {"S": "n"}}
    put = ddb.put_item(TableName=indexed, Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    # One write to the table and one to each index the item is in.
    assert put["TableName"] == indexed
    assert put["Table"] == {"CapacityUnits": 1.0}
    assert put["GlobalSecondaryIndexes"] == {"byEmail": {"CapacityUnits": 1.0}, "byRegionScore": {"CapacityUnits": 1.0},
                                             "byRegionTier": {"CapacityUnits": 1.0}}
    assert put["LocalSecondaryIndexes"] == {"byDay": {"CapacityUnits": 1.0}}
    assert put["CapacityUnits"] == 5.0
    total = ddb.put_item(TableName=indexed, Item=item, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert total == {"TableName": indexed, "CapacityUnits": 1.0}  # nothing indexed changed
    # Moving the email: delete and put in byEmail; byRegionTier (ALL) rewrites its entry.
    moved = ddb.update_item(TableName=indexed, Key={"pk": {"S": "cap"}, "sk": {"N": "1"}}, UpdateExpression="SET email = :e",
                            ExpressionAttributeValues={":e": {"S": "f@x"}}, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert moved["GlobalSecondaryIndexes"] == {"byEmail": {"CapacityUnits": 2.0}, "byRegionTier": {"CapacityUnits": 1.0}}
    assert "LocalSecondaryIndexes" not in moved
    query = ddb.query(TableName=indexed, IndexName="byEmail", KeyConditionExpression="email = :e",
                      ExpressionAttributeValues={":e": {"S": "f@x"}}, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert query == {"TableName": indexed, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                     "GlobalSecondaryIndexes": {"byEmail": {"CapacityUnits": 0.5}}}
    batch = ddb.batch_write_item(RequestItems={indexed: [{"DeleteRequest": {"Key": {"pk": {"S": "cap"}, "sk": {"N": "1"}}}}]},
                                 ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert batch[0]["CapacityUnits"] == 5.0
    assert batch[0]["LocalSecondaryIndexes"] == {"byDay": {"CapacityUnits": 1.0}}


def test_item_collection_metrics(ddb, resource, indexed):
    key = {"pk": {"S": "col"}, "sk": {"N": "1"}}
    put = ddb.put_item(TableName=indexed, Item={**key, "day": {"S": "d"}}, ReturnItemCollectionMetrics="SIZE")
    assert put["ItemCollectionMetrics"] == {"ItemCollectionKey": {"pk": {"S": "col"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
    assert "ItemCollectionMetrics" not in ddb.put_item(TableName=indexed, Item=key)
    deleted = ddb.delete_item(TableName=indexed, Key=key, ReturnItemCollectionMetrics="SIZE")
    assert deleted["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "col"}}
    batch = ddb.batch_write_item(RequestItems={indexed: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}}},
                                                         {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]},
                                 ReturnItemCollectionMetrics="SIZE")
    keys = sorted(m["ItemCollectionKey"]["pk"]["S"] for m in batch["ItemCollectionMetrics"][indexed])
    assert keys == ["a", "b"]
    # A table without local indexes reports none.
    plain = "plain-" + uuid.uuid4().hex[:8]
    ddb.create_table(TableName=plain, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert "ItemCollectionMetrics" not in resource.Table(plain).put_item(Item={"pk": "x"}, ReturnItemCollectionMetrics="SIZE")
    ddb.delete_table(TableName=plain)


def test_kill_9_during_a_backfill_resumes_it_on_restart():
    """A server killed while it backfills a new GSI under a writer resumes the backfill when it
    starts again; the index ends ACTIVE and holds exactly the entries the table's items give."""
    s = Server("--durability", "sync")

    def client(server):
        return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="a",
                            aws_secret_access_key="b", config=client_config())
    ddb = client(s)
    ddb.create_table(TableName="bfill", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")

    def g_of(i):
        # Sparse (no g), of the wrong type (skipped by the backfill), or one of 7 groups.
        return None if i % 11 == 0 else {"N": str(i)} if i % 13 == 0 else {"S": f"g{i % 7}"}

    def load(n):
        c = client(s)
        for start in range(n * 15000, (n + 1) * 15000, 25):
            items = []
            for i in range(start, start + 25):
                item = {"id": {"S": f"i{i}"}, "pad": {"S": "x" * 40}}
                if g_of(i) is not None:
                    item["g"] = g_of(i)
                items.append({"PutRequest": {"Item": item}})
            c.batch_write_item(RequestItems={"bfill": items})
    loaders = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for t in loaders:
        t.start()
    for t in loaders:
        t.join()

    stop = threading.Event()

    def writer():
        c = client(s)
        n = 0
        while not stop.is_set():
            try:
                c.put_item(TableName="bfill", Item={"id": {"S": f"i{n * 97 % 60000}"}, "g": {"S": f"w{n % 3}"}})
            except Exception:
                return
            n += 1
    thread = threading.Thread(target=writer)
    thread.start()
    ddb.update_table(TableName="bfill", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "byG", "KeySchema": [
                         {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    index = ddb.describe_table(TableName="bfill")["Table"]["GlobalSecondaryIndexes"][0]
    s.kill()
    stop.set()
    thread.join()
    # The kill came in the middle of the backfill.
    assert index["IndexStatus"] == "CREATING" and index["Backfilling"] is True

    again = Server("--durability", "sync", data=s.data)
    try:
        ddb = client(again)
        deadline = time.time() + 60
        while ddb.describe_table(TableName="bfill")["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] != "ACTIVE":
            assert time.time() < deadline, "the backfill did not resume"
            time.sleep(0.05)
        # The index equals a rebuild from the table: every item with a string g, under that g.
        expected = {}
        start = None
        while True:
            page = ddb.scan(TableName="bfill", **({"ExclusiveStartKey": start} if start else {}))
            for item in page["Items"]:
                if "S" in item.get("g", {}):
                    expected.setdefault(item["g"]["S"], set()).add(item["id"]["S"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert sum(len(ids) for ids in expected.values()) > 40000
        for g, ids in expected.items():
            found, start = [], None
            while True:
                page = ddb.query(TableName="bfill", IndexName="byG", KeyConditionExpression="g = :g",
                                 ExpressionAttributeValues={":g": {"S": g}}, **({"ExclusiveStartKey": start} if start else {}))
                found += [item["id"]["S"] for item in page["Items"]]
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
            assert len(found) == len(set(found)) and set(found) == ids, g
        described = ddb.describe_table(TableName="bfill")["Table"]["GlobalSecondaryIndexes"][0]
        assert described["ItemCount"] == sum(len(ids) for ids in expected.values())
        assert "Backfilling" not in described or described["Backfilling"] is False
    finally:
        again.stop()
