"""Table operations through boto3's client and resource APIs."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message


def test_create_describe_list_delete(ddb, table_name):
    created = ddb.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})["TableDescription"]
    assert created["TableName"] == table_name
    assert created["TableStatus"] == "ACTIVE"
    assert created["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}"
    assert created["ProvisionedThroughput"]["WriteCapacityUnits"] == 7

    ddb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    described = ddb.describe_table(TableName=table_name)["Table"]
    assert described["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert described["ItemCount"] == 0
    assert described["TableId"] == created["TableId"]
    assert table_name in ddb.list_tables()["TableNames"]

    deleted = ddb.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=table_name)
    assert error_code(e) == "ResourceNotFoundException"
    assert error_message(e) == f"Requested resource not found: Table: {table_name} not found"
    ddb.get_waiter("table_not_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})


def test_create_table_errors(ddb, music):
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=music, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert error_code(e) == "ResourceInUseException"
    assert error_message(e) == f"Table already exists: {music}"
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName="ab", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert error_code(e) == "ValidationException"
    assert "Member must have length greater than or equal to 3" in error_message(e)


def test_list_tables_paginator(ddb):
    names = [f"page_{i:02d}_{id(ddb) % 10000}" for i in range(7)]
    try:
        for name in names:
            ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
        pages = list(ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 3}))
        listed = [n for page in pages for n in page["TableNames"]]
        assert [n for n in listed if n in names] == sorted(names)
        assert len(pages) >= 3
    finally:
        for name in names:
            ddb.delete_table(TableName=name)


def test_update_table_and_tags(ddb, music):
    updated = ddb.update_table(TableName=music, BillingMode="PROVISIONED",
                               ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})["TableDescription"]
    assert updated["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    arn = updated["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "test"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "core"}]
    # A table without a stream has none to disable.
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=music, StreamSpecification={"StreamEnabled": False})
    assert error_code(e) == "ValidationException"
    assert error_message(e) == f"Table has no stream to disable: TableName: {music}"


def test_misc_operations(ddb, music, server):
    assert ddb.describe_time_to_live(TableName=music)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    backups = ddb.describe_continuous_backups(TableName=music)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints[0]["Address"] == f"127.0.0.1:{server.port}"
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000


def test_resource_api(resource, table_name):
    table = resource.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST")
    table.wait_until_exists()
    assert table.table_status == "ACTIVE"
    assert table.key_schema[0]["AttributeName"] == "pk"


def test_table_settings_round_trip_and_deletion_protection(ddb, table_name):
    """What infrastructure tools send with a table comes back from DescribeTable, UpdateTable changes
    it, and a protected table refuses DeleteTable in DynamoDB's words."""
    created = ddb.create_table(
        TableName=table_name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        DeletionProtectionEnabled=True, TableClass="STANDARD_INFREQUENT_ACCESS",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/my-key"},
        OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": -1},
        WarmThroughput={"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4500})["TableDescription"]
    assert created["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": -1}
    assert created["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4500, "Status": "ACTIVE"}
    assert created["DeletionProtectionEnabled"] is True
    assert created["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert created["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS",
                                         "KMSMasterKeyArn": "arn:aws:kms:us-east-1:000000000000:alias/my-key"}
    described = ddb.describe_table(TableName=table_name)["Table"]
    assert described["DeletionProtectionEnabled"] is True and described["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.delete_table(TableName=table_name)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == \
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.update_table(TableName=table_name, TableClass="COLD")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    updated = ddb.update_table(TableName=table_name, DeletionProtectionEnabled=False, TableClass="STANDARD",
                               SSESpecification={"Enabled": False}, WarmThroughput={"WriteUnitsPerSecond": 6000})["TableDescription"]
    assert updated["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 6000, "Status": "ACTIVE"}
    assert updated["DeletionProtectionEnabled"] is False
    assert updated["TableClassSummary"]["TableClass"] == "STANDARD"
    assert "SSEDescription" not in updated
    ddb.delete_table(TableName=table_name)


def test_replication_and_kinesis_operations_answer_for_a_table_without_them(ddb, music):
    """Operations of features that need more machines or another service answer as DynamoDB does for a
    table with none configured; what would configure one is refused with a message that says why."""
    assert ddb.describe_kinesis_streaming_destination(TableName=music)["KinesisDataStreamDestinations"] == []
    with pytest.raises(ClientError) as e:
        ddb.enable_kinesis_streaming_destination(TableName=music, StreamArn="arn:aws:kinesis:us-east-1:000000000000:stream/s")
    assert error_code(e) == "ValidationException" and "DynamoDB Streams" in error_message(e)
    scaling = ddb.describe_table_replica_auto_scaling(TableName=music)["TableAutoScalingDescription"]
    assert scaling == {"TableName": music, "TableStatus": "ACTIVE", "Replicas": []}
    assert ddb.update_table_replica_auto_scaling(TableName=music)["TableAutoScalingDescription"]["Replicas"] == []
    assert ddb.list_global_tables()["GlobalTables"] == []
    with pytest.raises(ddb.exceptions.GlobalTableNotFoundException):
        ddb.describe_global_table(GlobalTableName=music)
    with pytest.raises(ClientError) as e:
        ddb.create_global_table(GlobalTableName=music, ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    assert error_code(e) == "ValidationException" and "no replicas" in error_message(e)
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_kinesis_streaming_destination(TableName="no_such_table")
