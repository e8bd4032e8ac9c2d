"""Export and import jobs through DynamoDB's API (ExportTableToPointInTime, DescribeExport,
ListExports, ImportTable, DescribeImport, ListImports) with boto3 and the AWS CLI. S3 is the
server's S3 root (by default `s3/` beside its data directory): `s3://bucket/prefix` is
`ROOT/bucket/prefix`, so the files checked here are the files AWS would write and read."""
import datetime
import gzip
import json
import os
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import Server, error_code, error_message, scan_items
from test_backups import client, wait_for
from test_cli import aws
from test_pitr import next_whole_second


def s3_root(server):
    return os.path.join(server.data, "s3")


def make_table(ddb, name, pitr=True):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST")
    if pitr:
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def export_done(ddb, arn):
    description = wait_for(lambda: (lambda d: d if d["ExportStatus"] != "IN_PROGRESS" else None)(
        ddb.describe_export(ExportArn=arn)["ExportDescription"]))
    assert description["ExportStatus"] == "COMPLETED", description
    return description


def import_done(ddb, arn, timeout=60):
    description = wait_for(lambda: (lambda d: d if d["ImportStatus"] != "IN_PROGRESS" else None)(
        ddb.describe_import(ImportArn=arn)["ImportTableDescription"]), timeout=timeout)
    assert description["ImportStatus"] == "COMPLETED", description
    return description


def export_lines(server, bucket, description):
    """The data lines of an export, read through its manifests."""
    folder = os.path.join(s3_root(server), bucket)
    summary = json.load(open(os.path.join(folder, description["ExportManifest"])))
    lines = []
    for entry in open(os.path.join(folder, summary["manifestFilesS3Key"])).read().splitlines():
        data = os.path.join(folder, json.loads(entry)["dataFileS3Key"])
        lines += gzip.open(data, "rt").read().splitlines()
    return summary, lines


def test_full_and_incremental_exports_match_the_table_at_their_times(server, ddb):
    arn = make_table(ddb, "jobs_src")
    for i in range(30):
        ddb.put_item(TableName="jobs_src", Item={"pk": {"S": f"p{i % 3}"}, "sk": {"N": str(i)}, "v": {"S": "first"}})
    first = next_whole_second()
    before = {(i["pk"]["S"], i["sk"]["N"]): i for i in scan_items(ddb, "jobs_src")}
    for i in range(0, 30, 3):
        ddb.update_item(TableName="jobs_src", Key={"pk": {"S": f"p{i % 3}"}, "sk": {"N": str(i)}},
                        UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "second"}})
    ddb.delete_item(TableName="jobs_src", Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
    ddb.put_item(TableName="jobs_src", Item={"pk": {"S": "new"}, "sk": {"N": "1"}, "v": {"S": "added"}})
    second = next_whole_second()
    ddb.put_item(TableName="jobs_src", Item={"pk": {"S": "later"}, "sk": {"N": "1"}})

    full = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", S3Prefix="full/run1", ExportTime=first,
                                             ClientToken="full-1")["ExportDescription"]
    assert full["ExportStatus"] == "IN_PROGRESS" and full["ExportType"] == "FULL_EXPORT" and full["ExportFormat"] == "DYNAMODB_JSON"
    assert full["ExportArn"].startswith(arn + "/export/") and full["ExportTime"] == first
    # The same client token and request: the same export.
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", S3Prefix="full/run1", ExportTime=first,
                                              ClientToken="full-1")["ExportDescription"]
    assert again["ExportArn"] == full["ExportArn"]
    done = export_done(ddb, full["ExportArn"])
    assert done["ItemCount"] == 30 and done["ExportManifest"].startswith("full/run1/AWSDynamoDB/")
    summary, lines = export_lines(server, "exports-bucket", done)
    assert summary["exportType"] == "FULL_EXPORT" and summary["itemCount"] == 30 and summary["s3Prefix"] == "full/run1"
    items = {(json.loads(l)["Item"]["pk"]["S"], json.loads(l)["Item"]["sk"]["N"]): json.loads(l)["Item"] for l in lines}
    assert items == before

    incremental = ddb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket="exports-bucket", S3Prefix="incr", ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": first, "ExportToTime": second, "ExportViewType": "NEW_AND_OLD_IMAGES"})["ExportDescription"]
    done = export_done(ddb, incremental["ExportArn"])
    assert done["IncrementalExportSpecification"]["ExportViewType"] == "NEW_AND_OLD_IMAGES"
    summary, lines = export_lines(server, "exports-bucket", done)
    assert summary["exportType"] == "INCREMENTAL_EXPORT" and summary["outputView"] == "NEW_AND_OLD_IMAGES"
    changes = {(c["Keys"]["pk"]["S"], c["Keys"]["sk"]["N"]): c for c in map(json.loads, lines)}
    assert len(changes) == 12 and ("later", "1") not in changes
    deleted = changes[("p1", "1")]
    assert "NewImage" not in deleted and deleted["OldImage"]["v"]["S"] == "first"
    assert "OldImage" not in changes[("new", "1")] and changes[("new", "1")]["NewImage"]["v"]["S"] == "added"
    updated = changes[("p0", "0")]
    assert updated["OldImage"]["v"]["S"] == "first" and updated["NewImage"]["v"]["S"] == "second"
    micros = int(updated["Metadata"]["WriteTimestampMicros"]["N"])
    assert first.timestamp() * 1e6 <= micros < second.timestamp() * 1e6

    ion = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", S3Prefix="ion", ExportFormat="ION",
                                            ExportTime=first)["ExportDescription"]
    done = export_done(ddb, ion["ExportArn"])
    summary, lines = export_lines(server, "exports-bucket", done)
    assert summary["outputFormat"] == "ION" and len(lines) == 30
    assert all(line.startswith("$ion_1_0 {Item:{'pk':\"p") for line in lines)
    assert any("'sk':3d0" in line for line in lines)

    listed = [e["ExportArn"] for e in ddb.list_exports(TableArn=arn)["ExportSummaries"]]
    assert listed == [full["ExportArn"], incremental["ExportArn"], ion["ExportArn"]]
    page = ddb.list_exports(TableArn=arn, MaxResults=2)
    assert len(page["ExportSummaries"]) == 2
    rest = ddb.list_exports(TableArn=arn, MaxResults=2, NextToken=page["NextToken"])
    assert [e["ExportArn"] for e in rest["ExportSummaries"]] == listed[2:] and "NextToken" not in rest
    with pytest.raises(ClientError) as e:
        ddb.list_exports(NextToken="forged")
    assert error_code(e) == "ValidationException"


def test_export_and_import_errors(server, ddb):
    arn = make_table(ddb, "jobs_nopitr", pitr=False)

    def fails(call, code, message=None):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == code, error_message(e)
        if message is not None:
            assert error_message(e) == message
        return error_message(e)

    fails(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket"),
          "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'jobs_nopitr'")
    ddb.update_continuous_backups(TableName="jobs_nopitr", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for bucket in ("Bad_Bucket", "ab", "../escape"):
        assert "bucket name" in fails(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket), "ValidationException")
    fails(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", S3Prefix="a/../../b"), "ValidationException")
    fails(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket",
                                                    ExportTime=datetime.datetime(2020, 1, 1)), "InvalidExportTimeException")
    fails(lambda: ddb.export_table_to_point_in_time(TableArn=arn.replace("jobs_nopitr", "missing_table"), S3Bucket="exports-bucket"),
          "TableNotFoundException", "Table not found: missing_table")
    ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", ClientToken="token-x")
    fails(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="other-bucket", ClientToken="token-x"), "ExportConflictException")
    fails(lambda: ddb.describe_export(ExportArn=arn + "/export/01234567890123-00000000"), "ExportNotFoundException")
    fails(lambda: ddb.describe_import(ImportArn=arn + "/import/01234567890123-00000000"), "ImportNotFoundException")
    parameters = {"TableName": "jobs_nopitr", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    fails(lambda: ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket"}, InputFormat="DYNAMODB_JSON",
                                   TableCreationParameters=parameters), "ResourceInUseException", "Table already exists: jobs_nopitr")
    assert "ION" in fails(lambda: ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket"}, InputFormat="ION",
                                                   TableCreationParameters=parameters), "ValidationException")


def test_import_table_from_an_export_and_from_csv(server, ddb):
    arn = make_table(ddb, "jobs_export_me")
    ddb.batch_write_item(RequestItems={"jobs_export_me": [
        {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "sk": {"N": str(i)}, "colour": {"S": ["red", "blue"][i % 2]},
                                 "tags": {"SS": ["a", "b"]}, "nested": {"M": {"n": {"N": "1.5"}}}}}} for i in range(25)]})
    export = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="roundtrip")["ExportDescription"]
    done = export_done(ddb, export["ExportArn"])
    data_prefix = done["ExportManifest"].rsplit("/", 1)[0] + "/data/"
    imported = ddb.import_table(
        S3BucketSource={"S3Bucket": "roundtrip", "S3KeyPrefix": data_prefix}, InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
        ClientToken="import-1",
        TableCreationParameters={
            "TableName": "jobs_imported", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                     {"AttributeName": "colour", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{"IndexName": "byColour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}]})["ImportTableDescription"]
    assert imported["ImportStatus"] == "IN_PROGRESS" and imported["ImportArn"].startswith(imported["TableArn"] + "/import/")
    description = import_done(ddb, imported["ImportArn"])
    assert description["ImportedItemCount"] == 25 and description["ProcessedItemCount"] == 25 and description["ErrorCount"] == 0
    assert description["ProcessedSizeBytes"] > 0 and description["TableId"]
    assert ddb.describe_table(TableName="jobs_imported")["Table"]["TableStatus"] == "ACTIVE"
    canonical = lambda items: sorted(json.dumps(i, sort_keys=True) for i in items)
    assert canonical(scan_items(ddb, "jobs_imported")) == canonical(scan_items(ddb, "jobs_export_me"))
    red = ddb.query(TableName="jobs_imported", IndexName="byColour", KeyConditionExpression="colour = :c",
                    ExpressionAttributeValues={":c": {"S": "red"}})["Items"]
    assert len(red) == 13

    bucket = os.path.join(s3_root(server), "csv-bucket", "people")
    os.makedirs(bucket, exist_ok=True)
    with open(os.path.join(bucket, "part1.csv"), "w") as f:
        f.write("id;age;name\n1;30;Ann\n2;41;Bob\nnot-a-number;1;Bad\n3;22;\"Semi;colon\"\n")
    with open(os.path.join(bucket, "part2.csv"), "w") as f:
        f.write("4;50;Dan\n")  # with a HeaderList every file's first line is data
    csv_import = ddb.import_table(
        S3BucketSource={"S3Bucket": "csv-bucket", "S3KeyPrefix": "people/part"}, InputFormat="CSV",
        InputFormatOptions={"Csv": {"Delimiter": ";", "HeaderList": ["id", "age", "name"]}},
        TableCreationParameters={"TableName": "jobs_people", "BillingMode": "PAY_PER_REQUEST",
                                 "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}]})["ImportTableDescription"]
    description = import_done(ddb, csv_import["ImportArn"])
    # The header line of part1 is data under a HeaderList, and fails the numeric key, as the bad line does.
    assert description["ErrorCount"] == 2 and description["ImportedItemCount"] == 4
    people = {i["id"]["N"]: i for i in scan_items(ddb, "jobs_people")}
    assert sorted(people) == ["1", "2", "3", "4"] and people["3"]["name"]["S"] == "Semi;colon" and people["1"]["age"]["S"] == "30"
    log = open(os.path.join(server.data, "db", "transfer-jobs", "imports", csv_import["ImportArn"].rsplit("/", 1)[1] + ".errors.log")).read()
    assert "people/part1.csv:1:" in log and "people/part1.csv:4:" in log

    listed = ddb.list_imports()["ImportSummaryList"]
    assert [i["ImportArn"] for i in listed][-2:] == [imported["ImportArn"], csv_import["ImportArn"]]
    assert ddb.list_imports(TableArn=imported["TableArn"])["ImportSummaryList"][0]["ImportStatus"] == "COMPLETED"
    same = ddb.import_table(S3BucketSource={"S3Bucket": "roundtrip", "S3KeyPrefix": data_prefix}, InputFormat="DYNAMODB_JSON",
                            ClientToken="import-1", TableCreationParameters={"TableName": "jobs_imported", "BillingMode": "PAY_PER_REQUEST",
                            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})["ImportTableDescription"]
    assert same["ImportArn"] == imported["ImportArn"]


def test_import_zstd_input_and_a_damaged_object(server, ddb):
    folder = os.path.join(s3_root(server), "zstd-bucket", "in")
    os.makedirs(folder, exist_ok=True)
    lines = "".join(json.dumps({"Item": {"pk": {"S": f"z{i}"}, "n": {"N": str(i)}}}) + "\n" for i in range(500))
    plain = os.path.join(folder, "items.json")
    with open(plain, "w") as f:
        f.write(lines)
    subprocess.run(["zstd", "-q", "--rm", plain], check=True)  # items.json.zst
    with open(os.path.join(folder, "broken.json.zst"), "wb") as f:
        f.write(bytes([0x28, 0xB5, 0x2F, 0xFD]) + b"not zstd at all")
    started = ddb.import_table(S3BucketSource={"S3Bucket": "zstd-bucket", "S3KeyPrefix": "in/"}, InputFormat="DYNAMODB_JSON",
                               InputCompressionType="ZSTD",
                               TableCreationParameters={"TableName": "jobs_zstd", "BillingMode": "PAY_PER_REQUEST",
                                                        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                                        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    description = import_done(ddb, started["ImportTableDescription"]["ImportArn"])
    assert description["ImportedItemCount"] == 500 and description["ErrorCount"] == 1
    assert description["InputCompressionType"] == "ZSTD"
    assert ddb.describe_table(TableName="jobs_zstd")["Table"]["ItemCount"] == 500


def test_aws_cli_export_and_import(server, ddb):
    arn = make_table(ddb, "jobs_cli")
    ddb.put_item(TableName="jobs_cli", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    started = json.loads(aws(server, "export-table-to-point-in-time", "--table-arn", arn, "--s3-bucket", "cli-bucket").stdout)
    done = export_done(ddb, started["ExportDescription"]["ExportArn"])
    listed = json.loads(aws(server, "list-exports", "--table-arn", arn).stdout)
    assert [e["ExportArn"] for e in listed["ExportSummaries"]] == [done["ExportArn"]]
    described = json.loads(aws(server, "describe-export", "--export-arn", done["ExportArn"]).stdout)
    assert described["ExportDescription"]["ItemCount"] == 1
    prefix = done["ExportManifest"].rsplit("/", 1)[0] + "/data/"
    started = json.loads(aws(server, "import-table", "--s3-bucket-source", f"S3Bucket=cli-bucket,S3KeyPrefix={prefix}",
                             "--input-format", "DYNAMODB_JSON", "--input-compression-type", "GZIP", "--table-creation-parameters",
                             json.dumps({"TableName": "jobs_cli_copy", "BillingMode": "PAY_PER_REQUEST",
                                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                                         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                                  {"AttributeName": "sk", "AttributeType": "N"}]})).stdout)
    import_done(ddb, started["ImportTableDescription"]["ImportArn"])
    assert json.loads(aws(server, "describe-import", "--import-arn", started["ImportTableDescription"]["ImportArn"]).stdout)[
        "ImportTableDescription"]["ImportedItemCount"] == 1
    assert len(json.loads(aws(server, "list-imports").stdout)["ImportSummaryList"]) >= 1


def test_kill_during_an_import_job_finishes_after_restart():
    """kill -9 while an import of 60,000 CSV lines loads: the table stays CREATING (unreadable)
    until the job, run again on restart, has loaded every line; never half a table served."""
    server = Server()
    try:
        ddb = client(server)
        folder = os.path.join(s3_root(server), "big-bucket", "csv")
        os.makedirs(folder)
        for part in range(3):
            with gzip.open(os.path.join(folder, f"part{part}.csv.gz"), "wt") as f:
                f.write("id,payload\n")
                for i in range(part * 20000, part * 20000 + 20000):
                    f.write(f"k{i},{'x' * 100}\n")
        started = ddb.import_table(S3BucketSource={"S3Bucket": "big-bucket", "S3KeyPrefix": "csv/"}, InputFormat="CSV",
                                   InputCompressionType="GZIP",
                                   TableCreationParameters={"TableName": "big_import", "BillingMode": "PAY_PER_REQUEST",
                                                            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                                            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]})
        arn = started["ImportTableDescription"]["ImportArn"]
        time.sleep(0.3)
        with pytest.raises(ClientError) as e:
            ddb.scan(TableName="big_import", Limit=1)
        assert error_code(e) == "ResourceNotFoundException"
        data = server.data
        server.kill()
        server = Server(data=data)
        ddb = client(server)
        description = import_done(ddb, arn, timeout=120)
        assert description["ImportedItemCount"] == 60000 and description["ErrorCount"] == 0
        table = ddb.describe_table(TableName="big_import")["Table"]
        assert table["TableStatus"] == "ACTIVE" and table["ItemCount"] == 60000
    finally:
        server.stop()
