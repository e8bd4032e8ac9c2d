"""The calls an infrastructure tool (Terraform's AWS provider, CDK and CloudFormation deployers)
makes for a table with every setting: create, wait, configure, read everything back (as every
plan does), update, read again, delete. Every call answers, and what was set reads back."""
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code


def wait_active(ddb, name):
    deadline = time.time() + 30
    while time.time() < deadline:
        table = ddb.describe_table(TableName=name)["Table"]
        if table["TableStatus"] == "ACTIVE" and all(g["IndexStatus"] == "ACTIVE" for g in table.get("GlobalSecondaryIndexes", [])):
            return table
        time.sleep(0.05)
    raise AssertionError("table never became ACTIVE")


def read_everything(ddb, name, arn):
    """What a plan reads for one table."""
    state = {"table": ddb.describe_table(TableName=name)["Table"],
             "ttl": ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
             "pitr": ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"],
             "tags": {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]},
             "kinesis": ddb.describe_kinesis_streaming_destination(TableName=name)["KinesisDataStreamDestinations"],
             "insights": ddb.describe_contributor_insights(TableName=name)["ContributorInsightsStatus"],
             "replicas": ddb.describe_table_replica_auto_scaling(TableName=name)["TableAutoScalingDescription"]}
    try:
        state["policy"] = json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "PolicyNotFoundException"
        state["policy"] = None
    return state


def test_a_table_with_every_setting_through_its_life(ddb):
    name = "infra_" + uuid.uuid4().hex[:8]
    arn_prefix = "arn:aws:dynamodb:us-east-1:000000000000:table/"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteTable",
                                                       "Resource": arn_prefix + name}]}
    created = ddb.create_table(
        TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "gsi_pk", "AttributeType": "S"}, {"AttributeName": "lsi_sk", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "byGsi", "KeySchema": [{"AttributeName": "gsi_pk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}],
        LocalSecondaryIndexes=[{"IndexName": "byLsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "lsi_sk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        SSESpecification={"Enabled": True, "SSEType": "KMS"}, TableClass="STANDARD_INFREQUENT_ACCESS",
        DeletionProtectionEnabled=True, WarmThroughput={"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 5000},
        Tags=[{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": "test"}],
        ResourcePolicy=json.dumps(policy))["TableDescription"]
    arn = created["TableArn"]
    assert arn == arn_prefix + name
    wait_active(ddb, name)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                                                    "RecoveryPeriodInDays": 14})
    ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")

    state = read_everything(ddb, name, arn)
    table = state["table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["byGsi"]
    assert table["GlobalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}
    assert [l["IndexName"] for l in table["LocalSecondaryIndexes"]] == ["byLsi"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"].startswith(arn + "/stream/")
    assert table["SSEDescription"]["SSEType"] == "KMS" and table["SSEDescription"]["Status"] == "ENABLED"
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert table["DeletionProtectionEnabled"] is True
    assert table["WarmThroughput"]["ReadUnitsPerSecond"] == 13000 and table["WarmThroughput"]["Status"] == "ACTIVE"
    assert state["ttl"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert state["pitr"]["PointInTimeRecoveryStatus"] == "ENABLED" and state["pitr"]["RecoveryPeriodInDays"] == 14
    assert state["tags"] == {"team": "storage", "env": "test"}
    assert state["kinesis"] == [] and state["insights"] == "ENABLED"
    assert state["replicas"]["TableName"] == name and state["replicas"].get("Replicas", []) == []
    assert state["policy"] == policy

    # Update, as a changed plan applies it.
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 6})
    wait_active(ddb, name)
    ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g2", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "bySecond", "KeySchema": [{"AttributeName": "g2", "KeyType": "HASH"}],
                                                              "Projection": {"ProjectionType": "ALL"},
                                                              "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
    wait_active(ddb, name)
    ddb.update_table(TableName=name, TableClass="STANDARD", WarmThroughput={"ReadUnitsPerSecond": 15000})
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"})
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ops"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env"])
    ddb.delete_resource_policy(ResourceArn=arn)
    ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="DISABLE")

    state = read_everything(ddb, name, arn)
    table = state["table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 10 and table["ProvisionedThroughput"]["WriteCapacityUnits"] == 6
    assert sorted(g["IndexName"] for g in table["GlobalSecondaryIndexes"]) == ["byGsi", "bySecond"]
    assert table["TableClassSummary"]["TableClass"] == "STANDARD"
    assert table["WarmThroughput"]["ReadUnitsPerSecond"] == 15000 and table["WarmThroughput"]["WriteUnitsPerSecond"] == 5000
    assert state["ttl"]["TimeToLiveStatus"] == "DISABLED" and state["pitr"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    assert state["tags"] == {"team": "storage", "owner": "ops"}
    assert state["policy"] is None and state["insights"] == "DISABLED"

    # Delete: refused while protected, then gone.
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=name)
    assert error_code(e) == "ValidationException"
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert error_code(e) == "ResourceNotFoundException"
