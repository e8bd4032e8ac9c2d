"""Resource-based policies: PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy with
boto3 (revision ids, DynamoDB's validation, size limit), and their enforcement under
`--auth sigv4`: keys of the server's account are allowed unless a policy denies them; a key of
another account (its `principal_arn`) only where a policy allows it; explicit deny wins."""
import json
import os
import shutil
import tempfile
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import Server, client_config, error_code, error_message
from test_cli import aws


def fails(call, code, contains=None):
    with pytest.raises(ClientError) as e:
        call()
    assert error_code(e) == code, error_message(e)
    if contains is not None:
        assert contains in error_message(e), error_message(e)
    return error_message(e)


def make_table(ddb, name, **extra):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}],
                     BillingMode="PAY_PER_REQUEST", **extra)
    return ddb.describe_table(TableName=name)["Table"]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(effect, principal, actions, resources):
    return {"Effect": effect, "Principal": principal if principal == "*" else {"AWS": principal}, "Action": actions, "Resource": resources}


def test_put_get_delete_with_revisions_and_validation(ddb):
    name = "pol_" + uuid.uuid4().hex[:8]
    table = make_table(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = table["TableArn"]
    fails(lambda: ddb.get_resource_policy(ResourceArn=arn), "PolicyNotFoundException",
          f"Resource-based policy not found for the provided ResourceArn: {arn}")
    fails(lambda: ddb.delete_resource_policy(ResourceArn=arn), "PolicyNotFoundException")
    document = policy(statement("Allow", "arn:aws:iam::111122223333:user/bob", "dynamodb:GetItem", arn))
    fails(lambda: ddb.put_resource_policy(ResourceArn=arn, Policy=document, ExpectedRevisionId="123"), "PolicyNotFoundException")
    first = ddb.put_resource_policy(ResourceArn=arn, Policy=document, ExpectedRevisionId="NO_POLICY")["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert got["Policy"] == document and got["RevisionId"] == first
    # The same document again: the same revision.
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=document)["RevisionId"] == first
    fails(lambda: ddb.put_resource_policy(ResourceArn=arn, Policy=document, ExpectedRevisionId="NO_POLICY"), "PolicyNotFoundException")
    changed = policy(statement("Allow", "arn:aws:iam::111122223333:user/bob", ["dynamodb:GetItem", "dynamodb:Query"], [arn, arn + "/index/*"]))
    fails(lambda: ddb.put_resource_policy(ResourceArn=arn, Policy=changed, ExpectedRevisionId="1"), "PolicyNotFoundException")
    second = ddb.put_resource_policy(ResourceArn=arn, Policy=changed, ExpectedRevisionId=first)["RevisionId"]
    assert second != first and int(second) > int(first)
    fails(lambda: ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=first), "PolicyNotFoundException")
    assert ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=second)["RevisionId"] == second
    fails(lambda: ddb.get_resource_policy(ResourceArn=arn), "PolicyNotFoundException")

    # Validation, as DynamoDB's: not JSON, unknown members, missing parts, foreign resources, conditions, size.
    bad = {
        "not json": "{",
        "no statement": json.dumps({"Version": "2012-10-17"}),
        "bad effect": policy({"Effect": "Maybe", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": arn}),
        "no principal": policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn}),
        "other service": policy(statement("Allow", "*", "s3:GetObject", arn)),
        "other table": policy(statement("Allow", "*", "dynamodb:GetItem", arn.replace(name, "someone_else"))),
        "condition": policy({**statement("Allow", "*", "dynamodb:GetItem", arn), "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
        "too large": policy(statement("Allow", "*", "dynamodb:GetItem", [arn] * 400)),
    }
    for text in bad.values():
        fails(lambda: ddb.put_resource_policy(ResourceArn=arn, Policy=text), "ValidationException")
    fails(lambda: ddb.put_resource_policy(ResourceArn=arn + "/index/byG", Policy=document), "ValidationException")
    fails(lambda: ddb.get_resource_policy(ResourceArn=arn.replace(name, "missing_table")), "ResourceNotFoundException")

    # A stream has its own policy.
    stream = table["LatestStreamArn"]
    stream_policy = policy(statement("Allow", "arn:aws:iam::111122223333:user/bob", "dynamodb:DescribeStream", stream))
    revision = ddb.put_resource_policy(ResourceArn=stream, Policy=stream_policy)["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=stream)
    assert got["Policy"] == stream_policy and got["RevisionId"] == revision
    fails(lambda: ddb.get_resource_policy(ResourceArn=arn), "PolicyNotFoundException")

    # CreateTable takes one too.
    other = "pol_" + uuid.uuid4().hex[:8]
    other_arn = arn.replace(name, other)
    created = policy(statement("Deny", "*", "dynamodb:DeleteTable", other_arn))
    make_table(ddb, other, ResourcePolicy=created)
    assert ddb.get_resource_policy(ResourceArn=other_arn)["Policy"] == created
    for table_name in (name, other):
        ddb.delete_table(TableName=table_name)


@pytest.fixture(scope="module")
def tenants():
    """A signed server with three keys: the account's root, alice (same account) and bob (another account)."""
    directory = tempfile.mkdtemp(prefix="shoal-policy-creds-")
    path = os.path.join(directory, "credentials")
    with open(path, "w") as f:
        f.write("[admin]\naws_access_key_id = AKIDADMIN\naws_secret_access_key = admin-secret\n\n"
                "[alice]\naws_access_key_id = AKIDALICE\naws_secret_access_key = alice-secret\n"
                "principal_arn = arn:aws:iam::000000000000:user/alice\n\n"
                "[bob]\nprincipal_arn = arn:aws:iam::111122223333:user/bob\n"
                "aws_access_key_id = AKIDBOB\naws_secret_access_key = bob-secret\n")
    server = Server("--auth", "sigv4", "--credentials", path)

    def client(key, secret, region="us-east-1"):
        return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=region,
                            aws_access_key_id=key, aws_secret_access_key=secret, config=client_config())
    server.client = client
    yield server, client("AKIDADMIN", "admin-secret"), client("AKIDALICE", "alice-secret"), client("AKIDBOB", "bob-secret")
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


def test_enforcement_across_accounts(tenants):
    server, admin, alice, bob = tenants
    table = make_table(admin, "shared_orders", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = table["TableArn"]
    admin.put_item(TableName="shared_orders", Item={"pk": {"S": "o1"}, "g": {"S": "x"}})
    # Own account: allowed without any policy. Another account: nothing, not even listing tables.
    assert alice.get_item(TableName="shared_orders", Key={"pk": {"S": "o1"}})["Item"]["g"]["S"] == "x"
    fails(lambda: bob.get_item(TableName="shared_orders", Key={"pk": {"S": "o1"}}), "AccessDeniedException",
          "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: dynamodb:GetItem on resource: " + arn)
    fails(lambda: bob.list_tables(), "AccessDeniedException")
    lambda_client = boto3.client("lambda", endpoint_url=server.endpoint, region_name="us-east-1",
                                 aws_access_key_id="AKIDBOB", aws_secret_access_key="bob-secret", config=client_config())
    fails(lambda: lambda_client.list_event_source_mappings(), "AccessDeniedException")
    fails(lambda: bob.create_table(TableName="bobs", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST"),
          "AccessDeniedException")

    admin.put_resource_policy(ResourceArn=arn, Policy=policy(
        statement("Allow", "arn:aws:iam::111122223333:user/bob", ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PartiQLSelect"],
                  [arn, arn + "/index/byG"]),
        statement("Deny", "arn:aws:iam::000000000000:user/alice", "dynamodb:PutItem", arn),
        statement("Deny", "*", "dynamodb:DeleteTable", arn)))
    assert bob.get_item(TableName="shared_orders", Key={"pk": {"S": "o1"}})["Item"]["pk"]["S"] == "o1"
    assert bob.query(TableName="shared_orders", IndexName="byG", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 1
    fails(lambda: bob.scan(TableName="shared_orders"), "AccessDeniedException", "because no resource-based policy allows the dynamodb:Scan action")
    fails(lambda: bob.put_item(TableName="shared_orders", Item={"pk": {"S": "o2"}}), "AccessDeniedException")
    assert len(bob.execute_statement(Statement='SELECT * FROM "shared_orders" WHERE pk = \'o1\'')["Items"]) == 1
    fails(lambda: bob.execute_statement(Statement="INSERT INTO \"shared_orders\" VALUE {'pk': 'o3'}"), "AccessDeniedException")
    fails(lambda: bob.transact_write_items(TransactItems=[{"Put": {"TableName": "shared_orders", "Item": {"pk": {"S": "o4"}}}}]),
          "AccessDeniedException")
    fails(lambda: bob.batch_write_item(RequestItems={"shared_orders": [{"PutRequest": {"Item": {"pk": {"S": "o5"}}}}]}),
          "AccessDeniedException")
    # Explicit deny wins over the account's own identity.
    fails(lambda: alice.put_item(TableName="shared_orders", Item={"pk": {"S": "o6"}}), "AccessDeniedException", "explicit deny")
    # A table is one table in every region a signature names: the deny holds there too.
    alice_elsewhere = server.client("AKIDALICE", "alice-secret", region="eu-west-1")
    fails(lambda: alice_elsewhere.put_item(TableName="shared_orders", Item={"pk": {"S": "o6"}}), "AccessDeniedException", "explicit deny")
    bob_elsewhere = server.client("AKIDBOB", "bob-secret", region="eu-west-1")
    assert bob_elsewhere.get_item(TableName="shared_orders", Key={"pk": {"S": "o1"}})["Item"]
    assert alice.get_item(TableName="shared_orders", Key={"pk": {"S": "o1"}})["Item"]
    admin.put_item(TableName="shared_orders", Item={"pk": {"S": "o7"}, "g": {"S": "y"}})
    fails(lambda: admin.delete_table(TableName="shared_orders"), "AccessDeniedException", "explicit deny")
    # Streams: bob needs the stream's own policy.
    stream = table["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id="AKIDBOB", aws_secret_access_key="bob-secret", config=client_config())
    fails(lambda: streams.describe_stream(StreamArn=stream), "AccessDeniedException")
    admin.put_resource_policy(ResourceArn=stream, Policy=policy(
        statement("Allow", "111122223333", ["dynamodb:DescribeStream", "dynamodb:GetShardIterator"], stream)))
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert "Records" in streams.get_records(ShardIterator=iterator)
    # A policy that would lock its author out needs the confirmation.
    lockout = policy(statement("Deny", "*", "dynamodb:PutResourcePolicy", arn))
    fails(lambda: admin.put_resource_policy(ResourceArn=arn, Policy=lockout), "ValidationException", "ConfirmRemoveSelfResourceAccess")
    # Removing the policy lifts every deny.
    admin.delete_resource_policy(ResourceArn=arn)
    fails(lambda: bob.get_item(TableName="shared_orders", Key={"pk": {"S": "o1"}}), "AccessDeniedException")
    alice.put_item(TableName="shared_orders", Item={"pk": {"S": "o8"}})
    admin.delete_table(TableName="shared_orders")


def test_aws_cli_manages_a_policy(server, ddb):
    name = "pol_" + uuid.uuid4().hex[:8]
    arn = make_table(ddb, name)["TableArn"]
    document = policy(statement("Allow", "arn:aws:iam::111122223333:user/bob", "dynamodb:Query", [arn, arn + "/index/*"]))
    revision = json.loads(aws(server, "put-resource-policy", "--resource-arn", arn, "--policy", document).stdout)["RevisionId"]
    got = json.loads(aws(server, "get-resource-policy", "--resource-arn", arn).stdout)
    assert got == {"Policy": document, "RevisionId": revision}
    assert json.loads(aws(server, "delete-resource-policy", "--resource-arn", arn, "--expected-revision-id", revision).stdout)[
        "RevisionId"] == revision
    missing = aws(server, "get-resource-policy", "--resource-arn", arn, check=False)
    assert missing.returncode != 0 and "PolicyNotFoundException" in missing.stderr
    ddb.delete_table(TableName=name)
