"""DynamoDB behaviour points 56-69 of shared/dynamodb-behaviour.md that this round fixed."""
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import client_config


def error_string(e, op):
    return f"An error occurred ({e.response['Error']['Code']}) when calling the {op} operation: {e.response['Error']['Message']}"


def keyed(ddb, name, **extra):
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "c", "AttributeType": "S"},
                                           *extra.pop("definitions", [])], **extra)


def gsi_create(name, attribute):
    return {"Create": {"IndexName": name, "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                       "Projection": {"ProjectionType": "ALL"}}}


def test_56_an_attribute_cannot_be_redefined(ddb, table_name):
    keyed(ddb, table_name, definitions=[{"AttributeName": "xyz", "AttributeType": "S"}],
          GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "xyz", "KeyType": "HASH"}],
                                   "Projection": {"ProjectionType": "ALL"}}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "xyz", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[gsi_create("gsi2", "xyz")])
    assert re.search(r"ValidationException.*redefined", error_string(e.value, "UpdateTable"))


def test_57_gsi_and_lsi_names_share_one_namespace(ddb, table_name):
    keyed(ddb, table_name, definitions=[{"AttributeName": "l", "AttributeType": "S"}],
          LocalSecondaryIndexes=[{"IndexName": "shared", "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"},
                                                                       {"AttributeName": "l", "KeyType": "RANGE"}],
                                  "Projection": {"ProjectionType": "ALL"}}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[gsi_create("shared", "g")])
    assert re.search(r"ValidationException.*already exists", error_string(e.value, "UpdateTable"))
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=table_name)["Table"]


def test_58_one_action_per_index_update(ddb, table_name):
    keyed(ddb, table_name)
    both = {**gsi_create("gsi", "g"), "Delete": {"IndexName": "gsi"}}
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[both])
    assert re.search(r"ValidationException.*one", error_string(e.value, "UpdateTable"))


def test_63_a_shards_starting_sequence_number_is_usable(ddb, table_name, server):
    import boto3
    streams = boto3.client("dynamodbstreams", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
    keyed(ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
        assert 21 <= len(start) <= 40 and start.isdigit()
        for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind, SequenceNumber=start)
    for value in ("1", "2"):
        ddb.update_item(TableName=table_name, Key={"p": {"S": "k"}, "c": {"S": "c"}}, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"S": value}})
    records = []
    for shard in shards:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                                              SequenceNumber=shard["SequenceNumberRange"]["StartingSequenceNumber"])["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]


def test_67_a_transaction_over_4_mb_is_refused(ddb, table_name):
    keyed(ddb, table_name)
    big = "x" * 100_000
    items = [{"Put": {"TableName": table_name, "Item": {"p": {"S": f"k{i}"}, "c": {"S": "c"}, "v": {"S": big}}}} for i in range(50)]
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=items)
    assert re.search(r"ValidationException.*size cannot exceed", error_string(e.value, "TransactWriteItems"))
    assert ddb.scan(TableName=table_name)["Count"] == 0


def test_69_time_to_live_is_enabled_at_once(ddb, table_name):
    keyed(ddb, table_name)
    for i in range(200):
        ddb.put_item(TableName=table_name, Item={"p": {"S": f"k{i}"}, "c": {"S": "c"}, "expiration": {"N": str(int(time.time()) + 3600)}})
    ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"})
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
