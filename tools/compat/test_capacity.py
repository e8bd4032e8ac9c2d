"""`shoal serve --enforce-capacity`: provisioned tables throttle from their capacity units, with
DynamoDB's ProvisionedThroughputExceededException and ThrottlingReasons, and boto3's standard
retry mode rides through it. The exact unit rules are tested in Swift under a manual clock."""
import boto3
import pytest
from botocore.config import Config

from conftest import Server


@pytest.fixture(scope="module")
def enforcing():
    s = Server("--enforce-capacity")
    yield s
    s.stop()


def client(server, attempts):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


def provisioned(ddb, name, read, write, gsi=None):
    extra = {}
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    if gsi:
        definitions.append({"AttributeName": "g", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"},
                                            "ProvisionedThroughput": {"ReadCapacityUnits": gsi[0], "WriteCapacityUnits": gsi[1]}}]
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=definitions,
                     ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write}, **extra)


def test_throttled_with_dynamodb_error_and_reasons(enforcing):
    once = client(enforcing, 1)
    provisioned(once, "Tight", 1, 1)
    once.put_item(TableName="Tight", Item={"pk": {"S": "a"}, "pad": {"S": "x" * 5000}})
    with pytest.raises(once.exceptions.ProvisionedThroughputExceededException) as raised:
        once.put_item(TableName="Tight", Item={"pk": {"S": "b"}})
    error = raised.value.response
    assert error["Error"]["Message"] == ("The level of configured provisioned throughput for the table was exceeded. "
                                         "Consider increasing your provisioning level with the UpdateTable API.")
    assert error["ThrottlingReasons"] == [{"reason": "TableWriteProvisionedThroughputExceeded",
                                           "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Tight"}]
    # Reads have their own bucket.
    assert once.get_item(TableName="Tight", Key={"pk": {"S": "a"}})["Item"]["pk"] == {"S": "a"}


def test_an_index_short_of_writes_throttles_the_table(enforcing):
    once = client(enforcing, 1)
    provisioned(once, "Indexed", 50, 50, gsi=(5, 1))
    once.put_item(TableName="Indexed", Item={"pk": {"S": "a"}, "g": {"S": "x"}, "pad": {"S": "x" * 5000}})
    with pytest.raises(once.exceptions.ProvisionedThroughputExceededException) as raised:
        once.put_item(TableName="Indexed", Item={"pk": {"S": "b"}, "g": {"S": "y"}})
    assert raised.value.response["ThrottlingReasons"] == [{"reason": "IndexWriteProvisionedThroughputExceeded",
                                                           "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Indexed/index/byG"}]


def test_boto3_standard_retries_get_through(enforcing):
    patient = client(enforcing, 10)
    provisioned(patient, "Steady", 5, 2)
    retried = 0
    for i in range(6):
        answer = patient.put_item(TableName="Steady", Item={"pk": {"S": f"k{i}"}})
        retried += answer["ResponseMetadata"]["RetryAttempts"]
    # Two units a second for six writes: some had to wait, and all of them landed.
    assert retried >= 1
    assert patient.scan(TableName="Steady", Select="COUNT")["Count"] == 6


def test_on_demand_tables_are_not_limited(enforcing):
    once = client(enforcing, 1)
    once.create_table(TableName="Free", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for i in range(100):
        once.put_item(TableName="Free", Item={"pk": {"S": f"k{i}"}})
    assert once.scan(TableName="Free", Select="COUNT")["Count"] == 100
