"""Creates the Bench table on an endpoint and loads ITEMS items of about 200 bytes; and the
BenchQ table (partition and sort key) with QUERY_PARTITIONS partitions of 100 such items."""
import os
import sys

import boto3

endpoint, items = sys.argv[1], int(sys.argv[2])
ddb = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="bench", aws_secret_access_key="bench")
table = ddb.create_table(TableName="Bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
table.wait_until_exists()
with table.batch_writer() as batch:
    for i in range(items):
        batch.put_item(Item={"pk": f"user-{i}", "n": i, "payload": "x" * 150})
partitions = int(os.environ.get("QUERY_PARTITIONS", "100"))
query_table = ddb.create_table(
    TableName="BenchQ",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST")
query_table.wait_until_exists()
with query_table.batch_writer() as batch:
    for p in range(partitions):
        for s in range(100):
            batch.put_item(Item={"pk": f"q-{p}", "sk": s, "n": p * 100 + s, "payload": "x" * 150})
print(f"loaded {items} items and {partitions} partitions of 100 into {endpoint}")
