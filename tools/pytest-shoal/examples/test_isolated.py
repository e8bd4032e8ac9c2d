"""200 tests that each create the same table and fill it: each starts from an empty server, so
nothing leaks between them."""
import pytest


@pytest.mark.parametrize("n", range(200))
def test_each_test_starts_empty(dynamodb_client, n):
    assert dynamodb_client.list_tables()["TableNames"] == []
    dynamodb_client.create_table(TableName="Orders", BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    for i in range(n % 5 + 1):
        dynamodb_client.put_item(TableName="Orders", Item={"id": {"S": f"{n}-{i}"}})
    assert dynamodb_client.scan(TableName="Orders", Select="COUNT")["Count"] == n % 5 + 1


def test_faults_reach_boto3(dynamodb_client, shoal_server):
    dynamodb_client.create_table(TableName="Faulty", BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    shoal_server.inject_fault("PutItem", error="ThrottlingException", table="Faulty", count=1)
    answer = dynamodb_client.put_item(TableName="Faulty", Item={"id": {"S": "a"}})
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
