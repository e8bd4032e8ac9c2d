"""DynamoDB behaviour points 50-69 of shared/dynamodb-behaviour.md that this round fixed."""
import re
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import client_config

import boto3


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


def fails(call, op, pattern):
    with pytest.raises(ClientError) as e:
        call()
    text = error_string(e.value, op)
    assert re.search(pattern, text), text
    return e.value


def unchecked(service, server):
    """A client that sends what it is given: the server, not botocore, must refuse bad members."""
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=client_config().merge(Config(parameter_validation=False)))


def streams_client(server):
    return unchecked("dynamodbstreams", server)


def test_50_an_index_query_names_only_the_index_keys(ddb, table_name):
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName=table_name, Item={"p": {"S": "a"}, "x": {"S": "b"}, "z": {"S": "c"}})
    values = {":x": {"S": "b"}, ":p": {"S": "a"}, ":z": {"S": "c"}}
    fails(lambda: ddb.query(TableName=table_name, IndexName="gsi",
                            KeyConditions={"p": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                                           "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "b"}]}}),
          "Query", r"ValidationException.*key condition")
    for condition in ("x = :x AND p = :p", "x = :x AND z = :z"):
        used = {k: v for k, v in values.items() if k in condition}
        fails(lambda: ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression=condition,
                                ExpressionAttributeValues=used), "Query", r"ValidationException.*key condition")
    got = ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression="x = :x", ExpressionAttributeValues={":x": {"S": "b"}})
    assert got["Items"] == [{"p": {"S": "a"}, "x": {"S": "b"}, "z": {"S": "c"}}]


def multi_index(name, hashes, ranges):
    return {"IndexName": name, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": a, "KeyType": "HASH"} for a in hashes]
                       + [{"AttributeName": a, "KeyType": "RANGE"} for a in ranges]}


def test_51_multi_attribute_key_schema_messages(ddb, table_name):
    definitions = [{"AttributeName": a, "AttributeType": "S"} for a in ("p", "a", "b", "c")]
    bad_order = {"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"},
                               {"AttributeName": "c", "KeyType": "HASH"}]}
    same = {"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"},
                          {"AttributeName": "a", "KeyType": "RANGE"}]}
    for index, pattern in ((bad_order, r"ValidationException.*HASH.*precede.*RANGE"), (same, r"ValidationException.*same name")):
        fails(lambda: ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                                       KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}], AttributeDefinitions=definitions,
                                       GlobalSecondaryIndexes=[index]), "CreateTable", pattern)
    assert table_name not in ddb.list_tables()["TableNames"]
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}])
    for index, pattern in ((bad_order, r"ValidationException.*HASH.*precede.*RANGE"), (same, r"ValidationException.*same name")):
        fails(lambda: ddb.update_table(TableName=table_name, AttributeDefinitions=definitions[1:],
                                       GlobalSecondaryIndexUpdates=[{"Create": index}]), "UpdateTable", pattern)
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=table_name)["Table"]


def test_52_multi_attribute_key_conditions(ddb, table_name):
    names = ("h1", "h2", "r1", "r2", "r3")
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("p",) + names],
                     GlobalSecondaryIndexes=[multi_index("idx", ["h1", "h2"], ["r1", "r2", "r3"]),
                                             multi_index("swapped", ["r1"], ["h1", "h2"])])
    item = {a: {"S": a + "v"} for a in ("p",) + names}
    ddb.put_item(TableName=table_name, Item=item)

    def query(index, condition):
        values = {f":{a}": {"S": a + "v"} for a in names if f":{a}" in condition}
        return ddb.query(TableName=table_name, IndexName=index, KeyConditionExpression=condition, ExpressionAttributeValues=values)

    hash_errors = ["h1 = :h1", "h1 = :h1 AND h2 > :h2", "h1 = :h1 AND h2 <= :h2", "h1 = :h1 AND begins_with(h2, :h2)",
                   "h1 = :h1 AND h2 BETWEEN :h2 AND :r1", "r1 = :r1 AND r2 = :r2"]
    for condition in hash_errors:
        fails(lambda: query("idx", condition), "Query", r"ValidationException.*HASH.*equality")
    fails(lambda: query("swapped", "h1 = :h1 AND h2 = :h2"), "Query", r"ValidationException.*HASH.*equality")
    both = "h1 = :h1 AND h2 = :h2 AND "
    range_errors = ["r2 = :r2", "r1 = :r1 AND r3 = :r3", "r1 > :r1 AND r2 = :r2", "r1 = :r1 AND r2 > :r2 AND r3 < :r3",
                    "begins_with(r1, :r1) AND r2 = :r2"]
    for condition in range_errors:
        fails(lambda: query("idx", both + condition), "Query", r"ValidationException.*RANGE.*equality")
    for condition in ("r1 = :r1", "r1 = :r1 AND r2 = :r2 AND begins_with(r3, :r3)", "r1 = :r1 AND r2 >= :r2"):
        assert query("idx", both + condition)["Count"] == 1


def test_53_an_index_query_may_not_ask_for_unprojected_attributes(ddb, table_name):
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[
                         {"IndexName": "inc", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}},
                         {"IndexName": "keys", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                          "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    ddb.put_item(TableName=table_name, Item={"p": {"S": "1"}, "x": {"S": "k"}, "a": {"S": "A"}, "b": {"S": "B"}})
    common = {"TableName": table_name, "KeyConditionExpression": "x = :x", "ExpressionAttributeValues": {":x": {"S": "k"}}}
    for index in ("inc", "keys"):
        fails(lambda: ddb.query(IndexName=index, ProjectionExpression="b", **common), "Query", r"ValidationException.*project")
        fails(lambda: ddb.query(IndexName=index, Select="SPECIFIC_ATTRIBUTES", AttributesToGet=["b"], TableName=table_name,
                                KeyConditions={"x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k"}]}}),
              "Query", r"ValidationException.*project")
        fails(lambda: ddb.query(IndexName=index, Select="ALL_ATTRIBUTES", **common), "Query", r"ValidationException.*ALL_ATTRIBUTES")
        fails(lambda: ddb.scan(TableName=table_name, IndexName=index, ProjectionExpression="b"), "Scan", r"ValidationException.*project")
        assert ddb.query(IndexName=index, Select="COUNT", **common)["Count"] == 1
        assert ddb.query(IndexName=index, ProjectionExpression="p, x", **common)["Items"] == [{"p": {"S": "1"}, "x": {"S": "k"}}]
    assert ddb.query(IndexName="inc", ProjectionExpression="a", **common)["Items"] == [{"a": {"S": "A"}}]
    assert ddb.query(IndexName="inc", **common)["Items"] == [{"p": {"S": "1"}, "x": {"S": "k"}, "a": {"S": "A"}}]


def test_54_non_key_attribute_names_are_at_most_255_bytes(ddb, table_name):
    long_name = "n" * 256
    for kind in ("Global", "Local"):
        index = {"IndexName": "idx", "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [long_name]},
                 "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}]}
        if kind == "Global":
            index["KeySchema"] = [{"AttributeName": "l", "KeyType": "HASH"}]
        fails(lambda: ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                                       KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}],
                                       AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("p", "c", "l")],
                                       **{f"{kind}SecondaryIndexes": [index]}), "CreateTable", r"ValidationException.*25[56]")
        assert table_name not in ddb.list_tables()["TableNames"]
    # 255 bytes is allowed, and names projected through ALL may be long.
    keyed(ddb, table_name, definitions=[{"AttributeName": "l", "AttributeType": "S"}],
          GlobalSecondaryIndexes=[{"IndexName": "idx", "KeySchema": [{"AttributeName": "l", "KeyType": "HASH"}],
                                   "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n" * 255]}}])
    ddb.put_item(TableName=table_name, Item={"p": {"S": "1"}, "c": {"S": "1"}, "l": {"S": "x"}, "n" * 1000: {"S": "v"}})


def test_55_update_table_reports_a_long_attribute_name_first(ddb, table_name):
    keyed(ddb, table_name)
    index = {"Create": {"IndexName": "gsi", "KeySchema": [{"AttributeName": "incoherent-short-name", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"}}}
    fails(lambda: ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "a" * 256, "AttributeType": "S"}],
                                   GlobalSecondaryIndexUpdates=[index]), "UpdateTable", r"ValidationException..*25[56]")
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=table_name)["Table"]


def test_57_an_index_key_must_be_defined_in_the_request(ddb, table_name):
    keyed(ddb, table_name)
    index = {"Create": {"IndexName": "gsi", "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"}}}
    fails(lambda: ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                                   GlobalSecondaryIndexUpdates=[index]), "UpdateTable", r"ValidationException.*AttributeDefinitions")
    two = [gsi_create("gsi1", "g"), gsi_create("gsi2", "g")]
    fails(lambda: ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                                   GlobalSecondaryIndexUpdates=two), "UpdateTable", r"LimitExceededException")
    ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "c", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[index])
    assert [i["IndexName"] for i in ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]] == ["gsi"]


def test_59_scan_capacity_of_a_tiny_table(ddb, table_name):
    keyed(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"p": {"S": "a"}, "c": {"S": "b"}})
    strong = ddb.scan(TableName=table_name, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)["ConsumedCapacity"]
    assert strong == {"TableName": table_name, "CapacityUnits": 4.0}
    weak = ddb.scan(TableName=table_name, ReturnConsumedCapacity="TOTAL", ConsistentRead=False)["ConsumedCapacity"]
    assert weak == {"TableName": table_name, "CapacityUnits": 2.0}


def test_60_streams_requests_are_validated_before_any_lookup(ddb, table_name, server):
    streams = streams_client(server)
    keyed(ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    not_an_arn = "this-is-not-an-arn-but-it-is-long-enough-to-pass"
    missing_arn = arn.replace(table_name, table_name + "-gone")
    missing_shard = "shardId-00000000000000000001-00000bad"
    checks = [
        (lambda: streams.describe_stream(StreamArn=not_an_arn), "DescribeStream", r"ValidationException.*'streamArn'"),
        (lambda: streams.describe_stream(StreamArn="arn:short"), "DescribeStream", r"ValidationException.*'streamArn'.*37"),
        (lambda: streams.describe_stream(StreamArn=arn, ExclusiveStartShardId="short"), "DescribeStream",
         r"ValidationException.*'exclusiveStartShardId'.*28"),
        (lambda: streams.describe_stream(StreamArn=arn, ExclusiveStartShardId="s" * 66), "DescribeStream",
         r"ValidationException.*'exclusiveStartShardId'.*65"),
        (lambda: streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": "short"}), "DescribeStream",
         r"ValidationException.*'shardFilter.shardId'"),
        (lambda: streams.get_shard_iterator(StreamArn=not_an_arn, ShardId=shard, ShardIteratorType="LATEST"), "GetShardIterator",
         r"ValidationException.*'streamArn'"),
        (lambda: streams.get_shard_iterator(StreamArn=arn, ShardId="short", ShardIteratorType="LATEST"), "GetShardIterator",
         r"ValidationException.*'shardId'"),
        (lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber="12"),
         "GetShardIterator", r"ValidationException.*'sequenceNumber'"),
        (lambda: streams.get_records(ShardIterator="i" * 2049), "GetRecords", r"ValidationException.*'shardIterator'"),
        (lambda: streams.list_streams(ExclusiveStartStreamArn=not_an_arn), "ListStreams", r"ValidationException.*'exclusiveStartStreamArn'"),
        (lambda: streams.list_streams(TableName="no such table!"), "ListStreams", r"ValidationException.*'tableName'"),
        # Well formed, but naming nothing.
        (lambda: streams.describe_stream(StreamArn=missing_arn), "DescribeStream", r"ResourceNotFoundException"),
        (lambda: streams.get_shard_iterator(StreamArn=missing_arn, ShardId=shard, ShardIteratorType="LATEST"), "GetShardIterator",
         r"ResourceNotFoundException"),
        (lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=missing_shard, ShardIteratorType="LATEST"), "GetShardIterator",
         r"ResourceNotFoundException"),
        (lambda: streams.list_streams(TableName=table_name + "-gone"), "ListStreams", r"ResourceNotFoundException"),
    ]
    for call, op, pattern in checks:
        fails(call, op, pattern)
    # A start shard that names no shard is not an error.
    page = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=missing_shard)["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == \
        [s["ShardId"] for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]]


def test_64_tagging_validation(server, table_name):
    ddb = unchecked("dynamodb", server)
    keyed(ddb, table_name)
    arn = ddb.describe_table(TableName=table_name)["Table"]["TableArn"]
    checks = [
        (dict(ResourceArn="not-an-arn", Tags=[{"Key": "k", "Value": "v"}]), r"ValidationException.*TableArn"),
        (dict(ResourceArn=arn.replace(":dynamodb:", ":s3:"), Tags=[{"Key": "k", "Value": "v"}]), r"AccessDeniedException"),
        (dict(ResourceArn=arn + "/index/idx", Tags=[{"Key": "k", "Value": "v"}]), r"ValidationException.*table"),
        (dict(ResourceArn=arn + "-gone", Tags=[{"Key": "k", "Value": "v"}]), r"ResourceNotFoundException"),
        (dict(ResourceArn=arn, Tags=[{"Key": "", "Value": "v"}]), r"ValidationException.*'tags.1.member.key'"),
        (dict(ResourceArn=arn, Tags=[{"Key": "ok", "Value": "v"}, {"Key": "k" * 129, "Value": "v"}]),
         r"ValidationException.*'tags.2.member.key'.*128"),
        (dict(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v" * 257}]), r"ValidationException.*'tags.1.member.value'.*256"),
        (dict(ResourceArn=arn, Tags=[{"Key": "k"}]), r"ValidationException.*'tags.1.member.value'.*null"),
        (dict(ResourceArn=arn, Tags=[{"Key": "ok", "Value": "v"}, {"Key": "bad*key", "Value": "v"}]), r"ValidationException.*character"),
        (dict(ResourceArn=arn, Tags=[{"Key": "k", "Value": "bad<value>"}]), r"ValidationException.*character"),
        (dict(ResourceArn=arn, Tags=[{"Key": "aws:owner", "Value": "v"}]), r"ValidationException.*aws:"),
    ]
    for arguments, pattern in checks:
        fails(lambda: ddb.tag_resource(**arguments), "TagResource", pattern)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    fails(lambda: ddb.list_tags_of_resource(ResourceArn=arn + "/index/idx"), "ListTagsOfResource", r"ValidationException.*table")
    fails(lambda: ddb.untag_resource(ResourceArn=arn, TagKeys=["k" * 129]), "UntagResource", r"ValidationException.*'tagKeys.1.member'")
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team name: core/db", "Value": "a+b=c_d.e-f"}, {"Key": "ünïcode", "Value": ""}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team name: core/db", "Value": "a+b=c_d.e-f"}, {"Key": "ünïcode", "Value": ""}]
    fails(lambda: ddb.create_table(TableName=table_name + "-2", BillingMode="PAY_PER_REQUEST",
                                   KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}],
                                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "CreateTable", r"ValidationException.*50")
    assert table_name + "-2" not in ddb.list_tables()["TableNames"]


def test_68_a_mistyped_transaction_key_cancels_the_transaction(ddb, table_name):
    keyed(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"p": {"S": "there"}, "c": {"S": "c"}})
    good = {"Put": {"TableName": table_name, "Item": {"p": {"S": "ok"}, "c": {"S": "c"}}}}
    bad = {"Put": {"TableName": table_name, "Item": {"p": {"N": "1"}, "c": {"S": "c"}}}}
    false_condition = {"ConditionCheck": {"TableName": table_name, "Key": {"p": {"S": "there"}, "c": {"S": "c"}},
                                          "ConditionExpression": "attribute_not_exists(p)"}}
    bad_delete = {"Delete": {"TableName": table_name, "Key": {"p": {"N": "2"}, "c": {"S": "c"}}}}
    for items, expected in (([bad], ["ValidationError"]),
                            ([good, bad, bad_delete, false_condition], ["None", "ValidationError", "None", "None"])):
        error = fails(lambda: ddb.transact_write_items(TransactItems=items), "TransactWriteItems", r"TransactionCanceledException")
        reasons = error.response["CancellationReasons"]
        assert [r["Code"] for r in reasons] == expected
        for reason in reasons:
            assert ("Message" in reason) == (reason["Code"] == "ValidationError")
    assert ddb.get_item(TableName=table_name, Key={"p": {"S": "ok"}, "c": {"S": "c"}}).get("Item") is None
    missing_name = {"Update": {"TableName": table_name, "Key": {"p": {"S": "ok"}, "c": {"S": "c"}},
                               "UpdateExpression": "SET #missing = :v", "ExpressionAttributeValues": {":v": {"S": "v"}}}}
    fails(lambda: ddb.transact_write_items(TransactItems=[missing_name]), "TransactWriteItems", r"ValidationException")
