"""TransactWriteItems and TransactGetItems through boto3, and crash recovery of transactions that
span shards: `shoal serve` is killed (SIGKILL, by a test-only hook) at every step of the commit."""
import json
import os
import shutil
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import Server, client_config, error_code, error_message
import wire


def make_accounts(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "owner", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byOwner", "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST")


@pytest.fixture
def accounts(ddb):
    name = "acc_" + uuid.uuid4().hex[:12]
    make_accounts(ddb, name)
    yield name
    ddb.delete_table(TableName=name)


def test_transact_write_and_get(ddb, accounts, music):
    ddb.put_item(TableName=accounts, Item={"id": {"S": "a"}, "owner": {"S": "ann"}, "balance": {"N": "50"}})
    ddb.put_item(TableName=accounts, Item={"id": {"S": "gone"}, "owner": {"S": "zed"}})
    ddb.put_item(TableName=accounts, Item={"id": {"S": "c"}, "owner": {"S": "ann"}})
    result = ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": accounts, "Key": {"id": {"S": "a"}}, "UpdateExpression": "SET balance = balance - :x",
                    "ConditionExpression": "balance >= :x", "ExpressionAttributeValues": {":x": {"N": "20"}}}},
        {"Put": {"TableName": accounts, "Item": {"id": {"S": "b"}, "owner": {"S": "bob"}, "balance": {"N": "20"}},
                 "ConditionExpression": "attribute_not_exists(id)"}},
        {"Delete": {"TableName": accounts, "Key": {"id": {"S": "gone"}}}},
        {"Put": {"TableName": music, "Item": {"Artist": {"S": "A"}, "Song": {"S": "S"}}}},
        {"ConditionCheck": {"TableName": accounts, "Key": {"id": {"S": "c"}}, "ConditionExpression": "#o = :o",
                            "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "ann"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    capacity = {c["TableName"]: c for c in result["ConsumedCapacity"]}
    # Twice the units: 3 writes of < 1 KB (and their index entries: two written, one deleted), one read.
    assert capacity[accounts] == {"TableName": accounts, "CapacityUnits": 14.0, "ReadCapacityUnits": 2.0, "WriteCapacityUnits": 12.0}
    assert capacity[music] == {"TableName": music, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": accounts, "Key": {"id": {"S": "a"}}, "ProjectionExpression": "balance"}},
        {"Get": {"TableName": accounts, "Key": {"id": {"S": "b"}}}},
        {"Get": {"TableName": accounts, "Key": {"id": {"S": "gone"}}}},
        {"Get": {"TableName": music, "Key": {"Artist": {"S": "A"}, "Song": {"S": "S"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert got["Responses"] == [{"Item": {"balance": {"N": "30"}}},
                                {"Item": {"id": {"S": "b"}, "owner": {"S": "bob"}, "balance": {"N": "20"}}},
                                {}, {"Item": {"Artist": {"S": "A"}, "Song": {"S": "S"}}}]
    assert {c["TableName"]: c["CapacityUnits"] for c in got["ConsumedCapacity"]} == {accounts: 6.0, music: 2.0}
    owners = ddb.query(TableName=accounts, IndexName="byOwner", KeyConditionExpression="#o = :o",
                       ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "bob"}})
    assert owners["Count"] == 1


def test_cancellation_reasons(ddb, accounts):
    ddb.put_item(TableName=accounts, Item={"id": {"S": "a"}, "balance": {"N": "5"}})
    ddb.put_item(TableName=accounts, Item={"id": {"S": "t"}, "balance": {"S": "text"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": accounts, "Item": {"id": {"S": "new"}}}},
            {"Update": {"TableName": accounts, "Key": {"id": {"S": "a"}}, "UpdateExpression": "SET balance = balance - :x",
                        "ConditionExpression": "balance >= :x", "ExpressionAttributeValues": {":x": {"N": "20"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Update": {"TableName": accounts, "Key": {"id": {"S": "t"}}, "UpdateExpression": "ADD balance :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    assert error_code(excinfo) == "TransactionCanceledException"
    assert error_message(excinfo) == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                                      "[None, ConditionalCheckFailed, ValidationError]")
    reasons = excinfo.value.response["CancellationReasons"]
    assert reasons == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {"id": {"S": "a"}, "balance": {"N": "5"}}},
        {"Code": "ValidationError", "Message": "An operand in the update expression has an incorrect data type"},
    ]
    assert "Item" not in ddb.get_item(TableName=accounts, Key={"id": {"S": "new"}})


def test_validation_errors(ddb, server, accounts):
    put = {"Put": {"TableName": accounts, "Item": {"id": {"S": "x"}}}}
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put, {"Delete": {"TableName": accounts, "Key": {"id": {"S": "x"}}}}])
    assert error_code(excinfo) == "ValidationException"
    assert error_message(excinfo) == "Transaction request cannot include multiple operations on one item"
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put, {"Delete": {"TableName": "NoSuchTable", "Key": {"id": {"S": "y"}}}}])
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Update": {"TableName": accounts, "Key": {"id": {"S": "y"}},
                                                            "UpdateExpression": "SET a = :missing"}}])
    assert error_code(excinfo) == "ValidationException"
    assert "ExpressionAttributeValues" in error_message(excinfo) or ":missing" in error_message(excinfo)
    # Shapes boto3 would refuse to send, straight on the wire.
    status, _, body = wire.send(server, "TransactWriteItems", {"TransactItems": []})
    assert (status, wire.error_type(body)) == (400, "ValidationException")
    assert "Member must have length greater than or equal to 1" in json.loads(body)["message"]
    status, _, body = wire.send(server, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": accounts, "Item": {"id": {"S": "z"}}}, "Delete": {"TableName": accounts, "Key": {"id": {"S": "z"}}}}]})
    assert (status, wire.error_type(body)) == (400, "ValidationException")
    assert json.loads(body)["message"] == "TransactItems can only contain one of Check, Put, Update or Delete"
    status, _, body = wire.send(server, "TransactWriteItems", {"TransactItems": [
        {"ConditionCheck": {"TableName": accounts, "Key": {"id": {"S": "z"}}}}]})
    assert json.loads(body)["message"] == ("1 validation error detected: Value null at 'transactItems.1.member.conditionCheck."
                                           "conditionExpression' failed to satisfy constraint: Member must not be null")
    many = [{"Put": {"TableName": accounts, "Item": {"id": {"S": f"m{i}"}}}} for i in range(101)]
    status, _, body = wire.send(server, "TransactWriteItems", {"TransactItems": many})
    assert "Member must have length less than or equal to 100" in json.loads(body)["message"]
    assert ddb.scan(TableName=accounts, Select="COUNT")["Count"] == 0
    ddb.transact_write_items(TransactItems=many[:100])
    assert ddb.scan(TableName=accounts, Select="COUNT")["Count"] == 100


def test_client_request_token(ddb, accounts):
    items = [{"Update": {"TableName": accounts, "Key": {"id": {"S": k}}, "UpdateExpression": "ADD n :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}}} for k in ("p", "q", "r")]
    first = ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1", ReturnConsumedCapacity="TOTAL")
    again = ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1", ReturnConsumedCapacity="TOTAL")
    assert first["ConsumedCapacity"][0]["WriteCapacityUnits"] == 6.0
    assert again["ConsumedCapacity"][0]["ReadCapacityUnits"] == 3.0
    for k in ("p", "q", "r"):
        assert ddb.get_item(TableName=accounts, Key={"id": {"S": k}})["Item"]["n"] == {"N": "1"}
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=items[:2], ClientRequestToken="tok-1")
    assert error_code(excinfo) == "IdempotentParameterMismatchException"


def test_transact_get_validation(ddb, accounts):
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": accounts, "Key": {"id": {"S": "a"}}}}] * 2)
    assert error_message(excinfo) == "Transaction request cannot include multiple operations on one item"
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "Nope", "Key": {"id": {"S": "a"}}}}])
    assert error_code(excinfo) == "ResourceNotFoundException"


KEYS = [f"k{i}" for i in range(8)]
STEPS_BEFORE_COMMIT = ["planned", "record-written"]
STEPS_AFTER_COMMIT = ["record-committed", "part-committed", "all-committed", "record-cleared"]


@pytest.mark.parametrize("step", STEPS_BEFORE_COMMIT + STEPS_AFTER_COMMIT)
def test_crash_at_every_commit_step_is_all_or_nothing(step):
    """A transaction over items on several shards; the server dies (SIGKILL) at `step`; after a
    restart the items, their index entries and stream records are all the transaction's or none."""
    server = Server(env={"SHOAL_TEST_CRASH_AT": step})
    data = server.data
    try:
        ddb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
        make_accounts(ddb, "Acc")
        for k in KEYS[:4]:
            ddb.put_item(TableName="Acc", Item={"id": {"S": k}, "owner": {"S": "before"}, "v": {"N": "0"}})
        actions = [{"Update": {"TableName": "Acc", "Key": {"id": {"S": k}}, "UpdateExpression": "SET #o = :o, v = v + :one",
                               "ExpressionAttributeNames": {"#o": "owner"},
                               "ExpressionAttributeValues": {":o": {"S": "after"}, ":one": {"N": "1"}}}} for k in KEYS[:3]]
        actions.append({"Delete": {"TableName": "Acc", "Key": {"id": {"S": KEYS[3]}}}})
        actions += [{"Put": {"TableName": "Acc", "Item": {"id": {"S": k}, "owner": {"S": "after"}, "v": {"N": "1"}}}} for k in KEYS[4:]]
        try:
            ddb.transact_write_items(TransactItems=actions)
        except Exception:
            pass   # the server died before answering
        assert server.process.wait(timeout=30) == -9
        server.log.close()
        restarted = Server(data=data)
        try:
            ddb = boto3.client("dynamodb", endpoint_url=restarted.endpoint, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
            items = {i["id"]["S"]: i for i in ddb.scan(TableName="Acc", ConsistentRead=True)["Items"]}
            after = ddb.query(TableName="Acc", IndexName="byOwner", KeyConditionExpression="#o = :o",
                              ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "after"}})["Count"]
            before = ddb.query(TableName="Acc", IndexName="byOwner", KeyConditionExpression="#o = :o",
                               ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "before"}})["Count"]
            streams = boto3.client("dynamodbstreams", endpoint_url=restarted.endpoint, region_name="us-east-1",
                                   aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
            arn = ddb.describe_table(TableName="Acc")["Table"]["LatestStreamArn"]
            events = []
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                events += [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in streams.get_records(ShardIterator=iterator)["Records"]]
            if step in STEPS_BEFORE_COMMIT:
                assert sorted(items) == KEYS[:4]
                assert all(i["owner"]["S"] == "before" and i["v"]["N"] == "0" for i in items.values())
                assert (after, before) == (0, 4)
                assert sorted(events) == sorted(("INSERT", k) for k in KEYS[:4])
            else:
                assert sorted(items) == KEYS[:3] + KEYS[4:]
                assert all(i["owner"]["S"] == "after" and i["v"]["N"] == "1" for i in items.values())
                assert (after, before) == (7, 0)
                # One record per changed item, none twice (a redo never repeats a committed part).
                expected = [("INSERT", k) for k in KEYS] + [("MODIFY", k) for k in KEYS[:3]] + [("REMOVE", KEYS[3])]
                assert sorted(events) == sorted(expected)
        finally:
            restarted.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)
