"""Point-in-time recovery through boto3 and the AWS CLI: UpdateContinuousBackups,
DescribeContinuousBackups and RestoreTableToPointInTime against a real server, restores compared
with a model of the table at the noted second, and a restore interrupted by kill -9."""
import concurrent.futures
import datetime
import json
import math
import time

import pytest
from botocore.exceptions import ClientError

from conftest import Server, error_code, error_message, scan_items
from test_backups import client, wait_for
from test_cli import aws
import wire


def key_of(item):
    return (item["pk"]["S"], item["sk"]["N"])


def model_of(ddb, name, **extra):
    return {key_of(item): item for item in scan_items(ddb, name, **extra)}


def next_whole_second():
    """Sleeps past the next second boundary and returns it: every write before the call is
    before it, every write after is after it (boto3 sends whole seconds)."""
    boundary = math.floor(time.time()) + 1
    time.sleep(boundary - time.time() + 0.05)
    return datetime.datetime.fromtimestamp(boundary, tz=datetime.timezone.utc)


def make_source(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "colour", "AttributeType": "S"}, {"AttributeName": "rank", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "byColour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "byRank", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                    {"AttributeName": "rank", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "team", "Value": "data"}])
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})


def test_restore_to_the_noted_second_matches_the_model(server, ddb):
    name = "pitr_src"
    make_source(ddb, name)
    off = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert off == {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    before = time.time()
    on = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                                                         "RecoveryPeriodInDays": 10})
    pitr = on["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED" and pitr["RecoveryPeriodInDays"] == 10
    assert before - 1 <= pitr["EarliestRestorableDateTime"].timestamp() <= pitr["LatestRestorableDateTime"].timestamp() <= time.time() + 1
    described = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert described["EarliestRestorableDateTime"] == pitr["EarliestRestorableDateTime"]

    colours = ["red", "blue", "green"]
    for i in range(60):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}, "colour": {"S": colours[i % 3]},
                                           "rank": {"N": str(i % 5)}, "n": {"N": "0"}})
    noted = next_whole_second()
    expected = model_of(ddb, name)
    assert len(expected) == 60
    # After the noted second: puts, updates that move index keys, deletes, a batch and a transaction.
    for i in range(0, 60, 4):
        ddb.update_item(TableName=name, Key={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}},
                        UpdateExpression="SET colour = :c, n = n + :one", ExpressionAttributeValues={":c": {"S": "black"}, ":one": {"N": "1"}})
    for i in range(1, 60, 6):
        ddb.delete_item(TableName=name, Key={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}})
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "new"}, "sk": {"N": str(i)}, "colour": {"S": "red"}}}}
                                              for i in range(20)]})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "tx"}, "sk": {"N": "1"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "p2"}, "sk": {"N": "2"}}}}])
    current = model_of(ddb, name)
    assert current != expected

    restored = ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName="pitr_at_noted", RestoreDateTime=noted)
    description = restored["TableDescription"]
    assert description["TableStatus"] == "CREATING"
    summary = description["RestoreSummary"]
    assert summary["SourceTableArn"].endswith(":table/" + name) and "SourceBackupArn" not in summary
    assert summary["RestoreDateTime"] == noted and summary["RestoreInProgress"] is True
    wait_for(lambda: ddb.describe_table(TableName="pitr_at_noted")["Table"]["TableStatus"] == "ACTIVE")
    assert model_of(ddb, "pitr_at_noted") == expected
    table = ddb.describe_table(TableName="pitr_at_noted")["Table"]
    assert table["ItemCount"] == 60 and table["RestoreSummary"]["RestoreInProgress"] is False
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["byColour"]
    assert [l["IndexName"] for l in table["LocalSecondaryIndexes"]] == ["byRank"]
    # The indexes hold the items of the noted second.
    for colour in colours + ["black"]:
        items = scan_items(ddb, "pitr_at_noted", IndexName="byColour", FilterExpression="colour = :c",
                           ExpressionAttributeValues={":c": {"S": colour}})
        assert len(items) == sum(1 for item in expected.values() if item["colour"]["S"] == colour)
    ranked = ddb.query(TableName="pitr_at_noted", IndexName="byRank", KeyConditionExpression="pk = :p AND #r = :r",
                       ExpressionAttributeNames={"#r": "rank"}, ExpressionAttributeValues={":p": {"S": "p0"}, ":r": {"N": "0"}})["Items"]
    assert {key_of(i) for i in ranked} == {key_of(i) for i in expected.values() if i["pk"]["S"] == "p0" and i["rank"]["N"] == "0"}
    # Stream, time to live, tags and point-in-time recovery are not restored (as in DynamoDB).
    assert "StreamSpecification" not in table and "LatestStreamArn" not in table
    assert ddb.describe_time_to_live(TableName="pitr_at_noted")["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == []
    assert ddb.describe_continuous_backups(TableName="pitr_at_noted")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"

    # The latest restorable time, by the source's ARN, with overrides.
    source_arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.restore_table_to_point_in_time(SourceTableArn=source_arn, TargetTableName="pitr_latest", UseLatestRestorableTime=True,
                                       GlobalSecondaryIndexOverride=[], LocalSecondaryIndexOverride=[],
                                       BillingModeOverride="PROVISIONED",
                                       ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                                       SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"})
    wait_for(lambda: ddb.describe_table(TableName="pitr_latest")["Table"]["TableStatus"] == "ACTIVE")
    latest = ddb.describe_table(TableName="pitr_latest")["Table"]
    assert "GlobalSecondaryIndexes" not in latest and "LocalSecondaryIndexes" not in latest
    assert latest["ProvisionedThroughput"]["ReadCapacityUnits"] == 3 and latest["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert latest["SSEDescription"]["SSEType"] == "KMS"
    assert model_of(ddb, "pitr_latest") == current
    for table_name in ("pitr_at_noted", "pitr_latest", name):
        ddb.delete_table(TableName=table_name)


def test_errors_and_limits(server, ddb, table_name):
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")

    def fails(call, code, message=None):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == code, error_message(e)
        if message is not None:
            assert error_message(e) == message
        return error_message(e)

    fails(lambda: ddb.restore_table_to_point_in_time(SourceTableName=table_name, TargetTableName=table_name + "_r",
                                                     UseLatestRestorableTime=True),
          "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{table_name}'")
    fails(lambda: ddb.describe_continuous_backups(TableName="missing_table"), "TableNotFoundException", "Table not found: missing_table")
    fails(lambda: ddb.update_continuous_backups(TableName="missing_table",
                                                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}),
          "TableNotFoundException", "Table not found: missing_table")
    # boto3 checks the lower bound itself; the wire gets both.
    for days, bound in ((0, "greater than or equal to 1"), (36, "less than or equal to 35")):
        status, _, body = wire.send(server, "UpdateContinuousBackups", {"TableName": table_name, "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": days}})
        assert status == 400 and wire.error_type(body) == "ValidationException"
        assert json.loads(body)["message"] == (f"1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification."
                                               f"recoveryPeriodInDays' failed to satisfy constraint: Member must have value {bound}")
    status, _, body = wire.send(server, "UpdateContinuousBackups", {"TableName": table_name})
    assert status == 400 and b"pointInTimeRecoverySpecification" in body
    ddb.update_continuous_backups(TableName=table_name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    message = fails(lambda: ddb.restore_table_to_point_in_time(SourceTableName=table_name, TargetTableName=table_name + "_r",
                                                               RestoreDateTime=past), "InvalidRestoreTimeException")
    assert message.startswith("Invalid RestoreDateTime 2020-01-01T00:00:00.000: it must be between EarliestRestorableDateTime")
    fails(lambda: ddb.restore_table_to_point_in_time(SourceTableName=table_name, TargetTableName=table_name,
                                                     UseLatestRestorableTime=True),
          "TableAlreadyExistsException", f"Table already exists: {table_name}")
    fails(lambda: ddb.restore_table_to_point_in_time(SourceTableName="missing_table", TargetTableName=table_name + "_r",
                                                     UseLatestRestorableTime=True), "TableNotFoundException", "Table not found: missing_table")
    fails(lambda: ddb.restore_table_to_point_in_time(SourceTableName=table_name, TargetTableName=table_name + "_r"),
          "ValidationException", "Either RestoreDateTime or UseLatestRestorableTime must be specified")
    fails(lambda: ddb.restore_table_to_point_in_time(TargetTableName=table_name + "_r", UseLatestRestorableTime=True),
          "ValidationException", "Either SourceTableArn or SourceTableName must be provided")
    fails(lambda: ddb.update_continuous_backups(TableName=table_name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 3}), "ValidationException",
        "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true")
    off = ddb.update_continuous_backups(TableName=table_name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    assert off["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}


def test_aws_cli_enables_describes_and_restores(server, ddb, table_name):
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    enabled = json.loads(aws(server, "update-continuous-backups", "--table-name", table_name,
                             "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true,RecoveryPeriodInDays=5").stdout)
    assert enabled["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 5
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "kept"}})
    noted = next_whole_second()
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "later"}})
    described = json.loads(aws(server, "describe-continuous-backups", "--table-name", table_name).stdout)
    assert described["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    target = table_name + "_cli"
    restored = json.loads(aws(server, "restore-table-to-point-in-time", "--source-table-name", table_name,
                              "--target-table-name", target, "--restore-date-time", noted.isoformat()).stdout)
    assert restored["TableDescription"]["TableName"] == target
    wait_for(lambda: ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE")
    assert [i["pk"]["S"] for i in scan_items(ddb, target)] == ["kept"]
    ddb.delete_table(TableName=target)


def test_kill_during_restore_finishes_after_restart():
    """kill -9 while a restore of 20,000 items loads: after the restart the restore finishes, with
    every item of its instant and none written after it; never half a table."""
    server = Server()
    try:
        ddb = client(server)
        ddb.create_table(TableName="big", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        ddb.update_continuous_backups(TableName="big", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

        def fill(start):
            own = client(server)
            for chunk in range(start, start + 5000, 25):
                own.batch_write_item(RequestItems={"big": [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "pad": {"S": "x" * 200}}}}
                                                           for i in range(chunk, chunk + 25)]})
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(fill, range(0, 20000, 5000)))
        noted = next_whole_second()
        for i in range(0, 100):
            ddb.delete_item(TableName="big", Key={"pk": {"S": f"k{i}"}})
        ddb.restore_table_to_point_in_time(SourceTableName="big", TargetTableName="big_restored", RestoreDateTime=noted)
        time.sleep(0.3)
        status_at_kill = ddb.describe_table(TableName="big_restored")["Table"]["TableStatus"]
        data = server.data
        server.kill()
        server = Server(data=data)
        ddb = client(server)
        # Until the restore is done the table is CREATING and its items cannot be read.
        wait_for(lambda: ddb.describe_table(TableName="big_restored")["Table"]["TableStatus"] == "ACTIVE", timeout=120)
        restored = ddb.describe_table(TableName="big_restored")["Table"]
        assert restored["ItemCount"] == 20000, status_at_kill
        assert restored["RestoreSummary"]["RestoreInProgress"] is False
        # The items deleted after the instant are back in the restore, not in the source.
        assert ddb.get_item(TableName="big_restored", Key={"pk": {"S": "k5"}})["Item"]["pad"]["S"] == "x" * 200
        assert "Item" not in ddb.get_item(TableName="big", Key={"pk": {"S": "k5"}})
        assert ddb.describe_table(TableName="big")["Table"]["ItemCount"] == 19900
    finally:
        server.stop()
