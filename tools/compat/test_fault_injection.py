"""Fault injection for tests (`ShoalAdmin_20261126.InjectFault` / `ClearFaults`): injected
throttling, server errors, transaction conflicts and latency, seen by boto3 as DynamoDB's own,
and boto3's standard retry mode riding through them."""
import json
import time
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import error_code


def admin(server, operation, body):
    request = urllib.request.Request(server.endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "ShoalAdmin_20261126." + operation})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def retrying_client(server, attempts):
    """boto3 in standard retry mode making at most `attempts` attempts in all."""
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


@pytest.fixture
def faulty_table(server, ddb):
    name = "faults_" + uuid.uuid4().hex[:8]
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    yield name
    admin(server, "ClearFaults", {})
    ddb.delete_table(TableName=name)


def test_boto3_retries_through_injected_throttling(server, faulty_table):
    ddb = retrying_client(server, 1)
    status, body = admin(server, "InjectFault", {"Operation": "PutItem", "TableName": faulty_table,
                                                 "Error": "ProvisionedThroughputExceededException", "Count": 2})
    assert status == 200 and body["FaultId"]
    answer = retrying_client(server, 3).put_item(TableName=faulty_table, Item={"pk": {"S": "a"}})
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert ddb.get_item(TableName=faulty_table, Key={"pk": {"S": "a"}})["Item"]
    # Used up: the next put goes straight through.
    assert retrying_client(server, 3).put_item(TableName=faulty_table, Item={"pk": {"S": "b"}})["ResponseMetadata"]["RetryAttempts"] == 0
    # Without retries the client sees DynamoDB's error; another table is not affected.
    admin(server, "InjectFault", {"Operation": "GetItem", "TableName": faulty_table, "Error": "ThrottlingException", "Count": 1})
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=faulty_table, Key={"pk": {"S": "a"}})
    assert error_code(e) == "ThrottlingException"
    admin(server, "InjectFault", {"Operation": "Query", "Error": "RequestLimitExceeded", "Count": 1})
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=faulty_table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    assert error_code(e) == "RequestLimitExceeded"


def test_server_errors_conflicts_latency_and_clearing(server, faulty_table):
    ddb = retrying_client(server, 1)
    admin(server, "InjectFault", {"Operation": "DeleteItem", "TableName": faulty_table, "Error": "InternalServerError", "Probability": 1})
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            ddb.delete_item(TableName=faulty_table, Key={"pk": {"S": "a"}})
        assert error_code(e) == "InternalServerError" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    admin(server, "InjectFault", {"Operation": "TransactWriteItems", "Error": "TransactionConflict", "Count": 1})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": faulty_table, "Item": {"pk": {"S": k}}}} for k in ("x", "y")])
    assert error_code(e) == "TransactionCanceledException"
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["TransactionConflict", "TransactionConflict"]
    admin(server, "InjectFault", {"Operation": "UpdateItem", "Error": "TransactionConflict", "Count": 1})
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=faulty_table, Key={"pk": {"S": "x"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    assert error_code(e) == "TransactionConflictException"
    admin(server, "InjectFault", {"Operation": "GetItem", "TableName": faulty_table, "LatencyMillis": 300, "Count": 1})
    started = time.time()
    ddb.get_item(TableName=faulty_table, Key={"pk": {"S": "x"}})
    assert time.time() - started >= 0.3
    status, _ = admin(server, "ClearFaults", {})
    assert status == 200
    ddb.delete_item(TableName=faulty_table, Key={"pk": {"S": "a"}})
    # Bad requests are refused in words.
    for body, words in (({"Operation": "Nope", "Error": "ThrottlingException"}, "Unknown operation"),
                        ({"Operation": "PutItem", "Error": "Boom"}, "Error must be one of"),
                        ({"Operation": "PutItem", "Error": "ThrottlingException", "Count": 0}, "count"),
                        ({"Operation": "PutItem", "Error": "ThrottlingException", "Probability": 2}, "Probability"),
                        ({"Operation": "PutItem"}, "needs an Error")):
        status, answer = admin(server, "InjectFault", body)
        assert status == 400 and words in answer["message"], answer
