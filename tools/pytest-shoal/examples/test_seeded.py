"""Tests that start from seeded data: a module fixture fills a table once and makes that the
baseline; each test changes the data freely and the next one finds it as seeded."""
import pytest


@pytest.fixture(scope="module", autouse=True)
def catalog(shoal_server):
    client = shoal_server.client()
    client.create_table(TableName="Catalog", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"},
                                              {"AttributeName": "kind", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "byKind", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    for i in range(100):
        client.put_item(TableName="Catalog", Item={"sku": {"S": f"s{i}"}, "kind": {"S": "book" if i % 4 else "toy"}, "stock": {"N": "5"}})
    shoal_server.set_baseline()
    yield
    shoal_server.reset()


def _stream_records(shoal_server):
    client, streams = shoal_server.client(), shoal_server.client("dynamodbstreams")
    arn = client.describe_table(TableName="Catalog")["Table"]["LatestStreamArn"]
    total = 0
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        total += len(streams.get_records(ShardIterator=iterator)["Records"])
    return total


@pytest.mark.parametrize("n", range(20))
def test_each_test_finds_the_seeded_data(dynamodb_client, shoal_server, n):
    assert dynamodb_client.scan(TableName="Catalog", Select="COUNT")["Count"] == 100
    assert dynamodb_client.query(TableName="Catalog", IndexName="byKind", KeyConditionExpression="kind = :k",
                                 ExpressionAttributeValues={":k": {"S": "toy"}}, Select="COUNT")["Count"] == 25
    assert _stream_records(shoal_server) == 100
    assert dynamodb_client.get_item(TableName="Catalog", Key={"sku": {"S": "s50"}})["Item"]["stock"] == {"N": "5"}
    # Change everything a little: the next test must not see any of it.
    dynamodb_client.delete_item(TableName="Catalog", Key={"sku": {"S": f"s{n}"}})
    dynamodb_client.update_item(TableName="Catalog", Key={"sku": {"S": "s50"}}, UpdateExpression="SET stock = :z, kind = :t",
                                ExpressionAttributeValues={":z": {"N": "0"}, ":t": {"S": "toy"}})
    dynamodb_client.put_item(TableName="Catalog", Item={"sku": {"S": f"new{n}"}, "kind": {"S": "toy"}})
    dynamodb_client.create_table(TableName=f"Scratch{n}", BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    assert dynamodb_client.scan(TableName="Catalog", Select="COUNT")["Count"] == 100
    assert sorted(dynamodb_client.list_tables()["TableNames"]) == ["Catalog", f"Scratch{n}"]
