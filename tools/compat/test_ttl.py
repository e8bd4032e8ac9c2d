"""Time to live through boto3: UpdateTimeToLive / DescribeTimeToLive, and the expirer deleting
due items with a REMOVE stream record by the service."""
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import Server, client_config, error_code, error_message


@pytest.fixture(scope="module")
def fast():
    server = Server("--ttl-period", "0.2")
    yield server
    server.stop()


def clients(server):
    kwargs = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                  aws_secret_access_key="x", config=client_config())
    return boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)


def test_update_and_describe(fast):
    ddb, _ = clients(fast)
    ddb.create_table(TableName="TtlRules", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert ddb.describe_time_to_live(TableName="TtlRules")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    answer = ddb.update_time_to_live(TableName="TtlRules", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert answer["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    deadline = time.time() + 10
    while ddb.describe_time_to_live(TableName="TtlRules")["TimeToLiveDescription"]["TimeToLiveStatus"] != "ENABLED":
        assert time.time() < deadline
        time.sleep(0.05)
    assert ddb.describe_time_to_live(TableName="TtlRules")["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with pytest.raises(ClientError) as excinfo:
        ddb.update_time_to_live(TableName="TtlRules", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert (error_code(excinfo), error_message(excinfo)) == ("ValidationException", "TimeToLive is already enabled")
    with pytest.raises(ClientError) as excinfo:
        ddb.update_time_to_live(TableName="TtlRules", TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"})
    assert error_code(excinfo) == "ValidationException"
    ddb.update_time_to_live(TableName="TtlRules", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName="TtlRules")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    with pytest.raises(ClientError) as excinfo:
        ddb.update_time_to_live(TableName="TtlRules", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert error_message(excinfo) == "TimeToLive is already disabled"
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_time_to_live(TableName="NoSuchTable")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_expired_items_go_with_a_service_remove_record(fast):
    ddb, streams = clients(fast)
    ddb.create_table(TableName="TtlExpiry", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}, BillingMode="PAY_PER_REQUEST")
    ddb.update_time_to_live(TableName="TtlExpiry", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    for i in range(20):
        ddb.put_item(TableName="TtlExpiry", Item={"id": {"S": f"due{i}"}, "g": {"S": "x"}, "exp": {"N": str(now - 1)}})
    ddb.put_item(TableName="TtlExpiry", Item={"id": {"S": "later"}, "g": {"S": "x"}, "exp": {"N": str(now + 3600)}})
    ddb.put_item(TableName="TtlExpiry", Item={"id": {"S": "string"}, "g": {"S": "x"}, "exp": {"S": str(now - 1)}})
    deadline = time.time() + 15
    while ddb.scan(TableName="TtlExpiry", Select="COUNT")["Count"] > 2:
        assert time.time() < deadline
        time.sleep(0.1)
    assert sorted(i["id"]["S"] for i in ddb.scan(TableName="TtlExpiry")["Items"]) == ["later", "string"]
    assert ddb.query(TableName="TtlExpiry", IndexName="byG", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 2
    arn = ddb.describe_table(TableName="TtlExpiry")["Table"]["LatestStreamArn"]
    removes = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        removes += [r for r in streams.get_records(ShardIterator=iterator)["Records"] if r["eventName"] == "REMOVE"]
    assert len(removes) == 20
    assert all(r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"} for r in removes)
    assert all("OldImage" in r["dynamodb"] for r in removes)


def test_expiry_reaches_a_webhook_trigger_filtered_on_the_service_identity():
    from test_triggers import Receiver, triggers_server, wait_for
    hook = Receiver()
    server = triggers_server(f"""
Functions:
  expired:
    Webhook: {hook.url}
EventSourceMappings:
  - FunctionName: expired
    Table: Carts
    StartingPosition: TRIM_HORIZON
    FilterCriteria: {{Filters: [{{Pattern: '{{"userIdentity": {{"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}}}'}}]}}
""", "--ttl-period", "0.2")
    try:
        ddb, _ = clients(server)
        ddb.create_table(TableName="Carts", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
        ddb.update_time_to_live(TableName="Carts", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        now = int(time.time())
        ddb.put_item(TableName="Carts", Item={"id": {"S": "abandoned"}, "exp": {"N": str(now - 1)}})
        ddb.put_item(TableName="Carts", Item={"id": {"S": "removed-by-user"}})
        ddb.delete_item(TableName="Carts", Key={"id": {"S": "removed-by-user"}})
        assert wait_for(lambda: len(hook.records()) == 1)
        time.sleep(0.5)
        records = hook.records()
        assert len(records) == 1
        assert records[0]["eventName"] == "REMOVE"
        assert records[0]["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        assert records[0]["dynamodb"]["OldImage"]["id"] == {"S": "abandoned"}
    finally:
        server.stop()
        hook.close()
