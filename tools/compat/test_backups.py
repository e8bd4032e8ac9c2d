"""Backups: DynamoDB's on-demand backup API through boto3, and whole-directory backups with
`shoal backup` / `shoal restore`, taken while a server keeps writing."""
import datetime
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import Server, client_config, error_code, error_message, scan_items, shoal_binary
import wire


def client(server):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="anything", aws_secret_access_key="anything", config=client_config())


def wait_for(predicate, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def make_table(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "colour", "AttributeType": "S"}, {"AttributeName": "size", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "byColour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "bySize", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                      {"AttributeName": "size", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        BillingMode="PAY_PER_REQUEST")


def items_of(ddb, name):
    return sorted(scan_items(ddb, name, ConsistentRead=True), key=lambda i: (i["pk"]["S"], i["sk"]["N"]))


def fill(ddb, name, count):
    for i in range(count):
        ddb.put_item(TableName=name, Item={
            "pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}, "colour": {"S": random.choice(["red", "blue"])},
            "size": {"N": str(i * 3)}, "big": {"N": "1234567890123456789012345678901234567.8"},
            "blob": {"B": os.urandom(8)}, "tags": {"SS": ["a", f"t{i}"]}, "nested": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}}})


def test_backup_and_restore_through_the_api(ddb, table_name):
    make_table(ddb, table_name)
    fill(ddb, table_name, 40)
    created = ddb.create_backup(TableName=table_name, BackupName="nightly.1")["BackupDetails"]
    assert created["BackupStatus"] in ("CREATING", "AVAILABLE")
    assert created["BackupType"] == "USER" and created["BackupName"] == "nightly.1"
    arn = created["BackupArn"]
    assert arn.startswith(f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}/backup/")
    described = wait_for(lambda: (d := ddb.describe_backup(BackupArn=arn)["BackupDescription"])
                         ["BackupDetails"]["BackupStatus"] == "AVAILABLE" and d)
    # Writes after the backup are not in it.
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "late"}, "sk": {"N": "1"}, "colour": {"S": "red"}})
    source = described["SourceTableDetails"]
    assert source["TableName"] == table_name and source["ItemCount"] == 40
    assert described["BackupDetails"]["BackupSizeBytes"] == source["TableSizeBytes"] > 0
    features = described["SourceTableFeatureDetails"]
    assert [g["IndexName"] for g in features["GlobalSecondaryIndexes"]] == ["byColour"]
    assert [l["IndexName"] for l in features["LocalSecondaryIndexes"]] == ["bySize"]
    assert features["StreamDescription"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}

    target = table_name + "_r"
    try:
        restored = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
        assert restored["RestoreSummary"]["SourceBackupArn"] == arn
        assert restored["RestoreSummary"]["SourceTableArn"].endswith(f":table/{table_name}")
        ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 0.2})
        wait_for(lambda: ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE")
        table = ddb.describe_table(TableName=target)["Table"]
        assert table["RestoreSummary"]["RestoreInProgress"] is False
        assert "StreamSpecification" not in table  # DynamoDB does not restore stream settings
        expected = [i for i in items_of(ddb, table_name) if i["pk"]["S"] != "late"]
        assert items_of(ddb, target) == expected
        reds = ddb.query(TableName=target, IndexName="byColour", KeyConditionExpression="colour = :c",
                         ExpressionAttributeValues={":c": {"S": "red"}})["Items"]
        assert len(reds) == sum(1 for i in expected if i["colour"]["S"] == "red")
        sizes = ddb.query(TableName=target, IndexName="bySize", KeyConditionExpression="pk = :p AND #s > :s",
                          ExpressionAttributeNames={"#s": "size"}, ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": "0"}})["Items"]
        assert len(sizes) == sum(1 for i in expected if i["pk"]["S"] == "p0" and int(i["size"]["N"]) > 0)

        # Indexes left out by the override are not created.
        ddb.restore_table_from_backup(TargetTableName=target + "2", BackupArn=arn, GlobalSecondaryIndexOverride=[],
                                      BillingModeOverride="PROVISIONED",
                                      ProvisionedThroughputOverride={"ReadCapacityUnits": 5, "WriteCapacityUnits": 6})
        wait_for(lambda: ddb.describe_table(TableName=target + "2")["Table"]["TableStatus"] == "ACTIVE")
        bare = ddb.describe_table(TableName=target + "2")["Table"]
        assert "GlobalSecondaryIndexes" not in bare and len(bare["LocalSecondaryIndexes"]) == 1
        assert bare["ProvisionedThroughput"]["WriteCapacityUnits"] == 6
        assert {a["AttributeName"] for a in bare["AttributeDefinitions"]} == {"pk", "sk", "size"}
        assert len(items_of(ddb, target + "2")) == 40

        with pytest.raises(ClientError) as e:
            ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
        assert error_code(e) == "TableAlreadyExistsException"
    finally:
        for name in (target, target + "2"):
            try:
                ddb.delete_table(TableName=name)
            except ClientError:
                pass

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    with pytest.raises(ClientError) as e:
        ddb.describe_backup(BackupArn=arn)
    assert error_code(e) == "BackupNotFoundException"


def test_backup_errors(ddb, server, table_name):
    with pytest.raises(ClientError) as e:
        ddb.create_backup(TableName="no_such_table_x", BackupName="b1x")
    assert error_code(e) == "TableNotFoundException"
    make_table(ddb, table_name)
    for bad in ("ab", "with space", "x" * 256):
        status, _, body = wire.send(server, "CreateBackup", {"TableName": table_name, "BackupName": bad})
        assert status == 400 and wire.error_type(body) == "ValidationException" and b"backupName" in body, body
    missing = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}/backup/01700000000000-00000000"
    for call in (lambda: ddb.describe_backup(BackupArn=missing), lambda: ddb.delete_backup(BackupArn=missing),
                 lambda: ddb.restore_table_from_backup(TargetTableName=table_name + "x", BackupArn=missing)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "BackupNotFoundException"
    status, _, body = wire.send(server, "DescribeBackup", {"BackupArn": "arn:short"})
    assert status == 400 and wire.error_type(body) == "ValidationException" and b"backupArn" in body
    status, _, body = wire.send(server, "ListBackups", {"Limit": 0})
    assert status == 400 and wire.error_type(body) == "ValidationException"
    assert ddb.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"] == {
        "ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}  # until enabled


def test_list_backups_filters_pages_and_survives_restart():
    server = Server()
    try:
        ddb = client(server)
        make_table(ddb, "one")
        make_table(ddb, "two")
        fill(ddb, "one", 3)
        arns = []
        for i in range(5):
            arns.append(ddb.create_backup(TableName="one" if i % 2 == 0 else "two", BackupName=f"b{i}x")["BackupDetails"]["BackupArn"])
            time.sleep(0.01)
        for arn in arns:
            wait_for(lambda: ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE")
        every = ddb.list_backups()["BackupSummaries"]
        assert [b["BackupArn"] for b in every] == arns
        assert {b["TableName"] for b in ddb.list_backups(TableName="one")["BackupSummaries"]} == {"one"}
        assert len(ddb.list_backups(TableName="one")["BackupSummaries"]) == 3
        assert ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []
        pages, start = [], None
        while True:
            kwargs = {"Limit": 2}
            if start:
                kwargs["ExclusiveStartBackupArn"] = start
            page = ddb.list_backups(**kwargs)
            pages.append([b["BackupArn"] for b in page["BackupSummaries"]])
            start = page.get("LastEvaluatedBackupArn")
            if not start:
                break
        assert pages == [arns[0:2], arns[2:4], arns[4:5]]
        # boto3 sends whole seconds; the wire takes fractions.
        assert len(ddb.list_backups(TimeRangeLowerBound=datetime.datetime(2001, 1, 1))["BackupSummaries"]) == 5
        assert ddb.list_backups(TimeRangeUpperBound=datetime.datetime(2001, 1, 1))["BackupSummaries"] == []
        third = every[2]["BackupCreationDateTime"].timestamp()
        _, _, body = wire.send(server, "ListBackups", {"TimeRangeLowerBound": third})
        assert [b["BackupArn"] for b in json.loads(body)["BackupSummaries"]] == arns[2:]
        _, _, body = wire.send(server, "ListBackups", {"TimeRangeUpperBound": third})
        assert [b["BackupArn"] for b in json.loads(body)["BackupSummaries"]] == arns[:2]

        data = server.data
        server.kill()
        server = Server(data=data)
        ddb = client(server)
        assert [b["BackupArn"] for b in ddb.list_backups()["BackupSummaries"]] == arns
        ddb.restore_table_from_backup(TargetTableName="again", BackupArn=arns[0])
        wait_for(lambda: ddb.describe_table(TableName="again")["Table"]["TableStatus"] == "ACTIVE")
        assert ddb.scan(TableName="again")["Count"] == 3
    finally:
        server.stop()


def run_cli(*args, check=True):
    result = subprocess.run([shoal_binary(), *args], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_directory_backup_while_serving_is_one_instant():
    """Sequential writes (each acknowledged before the next, spread over every shard) and
    transfers between accounts on different shards run while `shoal backup` copies the directory;
    the restored directory holds a prefix of the writes and every transfer whole."""
    server = Server()
    scratch = tempfile.mkdtemp(prefix="shoal-backup-")
    restored = None
    try:
        ddb = client(server)
        ddb.create_table(TableName="seq", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        accounts = [f"acct{i}" for i in range(8)]
        for a in accounts:
            ddb.put_item(TableName="seq", Item={"id": {"S": a}, "balance": {"N": "1000"}})
        stop = threading.Event()
        written = []

        def sequential():
            own = client(server)
            n = 0
            while not stop.is_set():
                n += 1
                own.put_item(TableName="seq", Item={"id": {"S": f"s{n}"}, "n": {"N": str(n)}, "pad": {"S": "x" * 200}})
                written.append(n)

        def transfers():
            own = client(server)
            while not stop.is_set():
                a, b = random.sample(accounts, 2)
                try:
                    own.transact_write_items(TransactItems=[
                        {"Update": {"TableName": "seq", "Key": {"id": {"S": a}}, "UpdateExpression": "SET balance = balance - :v",
                                    "ExpressionAttributeValues": {":v": {"N": "7"}}}},
                        {"Update": {"TableName": "seq", "Key": {"id": {"S": b}}, "UpdateExpression": "SET balance = balance + :v",
                                    "ExpressionAttributeValues": {":v": {"N": "7"}}}}])
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "TransactionCanceledException"

        workers = [threading.Thread(target=sequential)] + [threading.Thread(target=transfers) for _ in range(3)]
        for w in workers:
            w.start()
        wait_for(lambda: len(written) > 300)
        backups = []
        for i in range(3):
            target = os.path.join(scratch, f"b{i}")
            result = run_cli("backup", "--data", os.path.join(server.data, "db"), "--to", target)
            assert "backup" in result.stderr
            backups.append(target)
            time.sleep(0.2)
        stop.set()
        for w in workers:
            w.join()
        assert len(written) > 300

        for target in backups:
            assert os.path.exists(os.path.join(target, "BACKUP.json"))
            data = os.path.join(scratch, "restored-" + os.path.basename(target))
            run_cli("restore", "--from", target, "--data", os.path.join(data, "db"))
            restored = Server(data=data)
            r = client(restored)
            items = scan_items(r, "seq")
            numbers = sorted(int(i["n"]["N"]) for i in items if "n" in i)
            assert numbers == list(range(1, len(numbers) + 1)), "the sequential writes are not a prefix"
            assert len(numbers) > 0
            balances = [int(i["balance"]["N"]) for i in items if "balance" in i]
            assert len(balances) == 8 and sum(balances) == 8000, balances
            restored.stop()
            restored = None
    finally:
        stop_all = [s for s in (restored,) if s]
        for s in stop_all:
            s.stop()
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def test_offline_backup_and_restore_refusals():
    scratch = tempfile.mkdtemp(prefix="shoal-backup-")
    try:
        os.makedirs(os.path.join(scratch, "src"))
        server = Server(data=os.path.join(scratch, "src"))
        ddb = client(server)
        make_table(ddb, "kept")
        fill(ddb, "kept", 25)
        arn = ddb.create_backup(TableName="kept", BackupName="inside")["BackupDetails"]["BackupArn"]
        wait_for(lambda: ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE")
        expected = items_of(ddb, "kept")
        server.process.send_signal(15)
        assert server.process.wait(timeout=30) == 0
        server.log.close()

        source = os.path.join(scratch, "src", "db")
        target = os.path.join(scratch, "copy")
        run_cli("backup", "--data", source, "--to", target)
        # A non-empty destination is refused, for backup and (without --overwrite) for restore.
        refused = run_cli("backup", "--data", source, "--to", target, check=False)
        assert refused.returncode != 0 and "not empty" in refused.stderr
        occupied = os.path.join(scratch, "occupied", "db")
        os.makedirs(occupied)
        with open(os.path.join(occupied, "keep.txt"), "w") as f:
            f.write("mine")
        refused = run_cli("restore", "--from", target, "--data", occupied, check=False)
        assert refused.returncode != 0 and "--overwrite" in refused.stderr
        assert open(os.path.join(occupied, "keep.txt")).read() == "mine"
        run_cli("restore", "--from", target, "--data", occupied, "--overwrite")
        assert not os.path.exists(os.path.join(occupied, "keep.txt"))
        # A mistyped data directory is refused, not created.
        typo = os.path.join(scratch, "typo", "db")
        refused = run_cli("backup", "--data", typo, "--to", os.path.join(scratch, "nowhere"), check=False)
        assert refused.returncode != 0 and "No Shoal data directory" in refused.stderr
        assert not os.path.exists(typo) and not os.path.exists(os.path.join(scratch, "nowhere"))
        # Not a backup at all.
        refused = run_cli("restore", "--from", scratch, "--data", os.path.join(scratch, "x", "db"), check=False)
        assert refused.returncode != 0 and "not a Shoal backup" in refused.stderr

        server = Server(data=os.path.join(scratch, "occupied"))
        ddb = client(server)
        assert items_of(ddb, "kept") == expected
        # The API backups came along.
        assert [b["BackupArn"] for b in ddb.list_backups()["BackupSummaries"]] == [arn]
        ddb.restore_table_from_backup(TargetTableName="fromInside", BackupArn=arn)
        wait_for(lambda: ddb.describe_table(TableName="fromInside")["Table"]["TableStatus"] == "ACTIVE")
        assert len(items_of(ddb, "fromInside")) == 25
        # A restore into a directory a server has open is refused.
        refused = run_cli("restore", "--from", target, "--data", os.path.join(scratch, "occupied", "db"), "--overwrite", check=False)
        assert refused.returncode != 0 and "in use" in refused.stderr
        server.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
