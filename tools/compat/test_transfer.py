"""`shoal export` and `shoal import`: DynamoDB's export layout, DynamoDB JSON lines and CSV, against
a data directory and against a running server (the public API, as with AWS or Alternator)."""
import base64
import glob
import gzip
import json
import os
import shutil
import subprocess
import tempfile

import boto3

from conftest import Server, client_config, scan_items, shoal_binary


def client(server):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="anything", aws_secret_access_key="anything", config=client_config())


def cli(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([shoal_binary(), *args], capture_output=True, text=True, timeout=300, env=env)


def scan_all(ddb, name):
    return sorted(scan_items(ddb, name, ConsistentRead=True), key=lambda i: (i["pk"]["S"], i["sk"]["N"]))


def every_type(i):
    return {
        "pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)},
        "s": {"S": f"text ü {i} \"quoted\"\n"}, "big": {"N": "9" * 38}, "small": {"N": "-0.000000000000000000000000000000000000012345"},
        "exp": {"N": "1.5E+120"}, "b": {"B": bytes([0, 1, 2, 255, i % 256])}, "t": {"BOOL": i % 2 == 0}, "z": {"NULL": True},
        "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}, {"L": []}]}}},
        "ss": {"SS": ["a", f"b{i}"]}, "ns": {"NS": ["1", "12345678901234567890123456789012345678"]}, "bs": {"BS": [b"\x00", b"\xff"]},
        "g": {"S": "red" if i % 3 == 0 else "blue"},
    }


def make_table(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST")


def test_export_import_round_trip_local_and_remote():
    scratch = tempfile.mkdtemp(prefix="shoal-transfer-")
    try:
        os.makedirs(os.path.join(scratch, "src"))
        server = Server(data=os.path.join(scratch, "src"))
        ddb = client(server)
        make_table(ddb, "source")
        for i in range(130):
            ddb.put_item(TableName="source", Item=every_type(i))
        expected = scan_all(ddb, "source")

        # Against the running server: export through Scan, import through BatchWriteItem.
        remote_export = os.path.join(scratch, "remote-export")
        result = cli("export", "--endpoint", server.endpoint, "--table", "source", "--to", remote_export)
        assert result.returncode == 0, result.stderr
        (folder,) = glob.glob(os.path.join(remote_export, "AWSDynamoDB", "*"))
        summary = json.load(open(os.path.join(folder, "manifest-summary.json")))
        assert summary["itemCount"] == 130 and summary["outputFormat"] == "DYNAMODB_JSON" and summary["version"] == "2020-06-30"
        entries = [json.loads(line) for line in open(os.path.join(folder, "manifest-files.json")) if line.strip()]
        assert sum(e["itemCount"] for e in entries) == 130
        lines = []
        for e in entries:
            path = os.path.join(folder, "data", e["dataFileS3Key"].split("/")[-1])
            raw = open(path, "rb").read()
            import hashlib
            assert base64.b64encode(hashlib.md5(raw).digest()).decode() == e["md5Checksum"]
            lines += gzip.decompress(raw).decode().splitlines()
        assert len(lines) == 130 and all(set(json.loads(l)) == {"Item"} for l in lines)

        result = cli("import", "--endpoint", server.endpoint, "--to-table", "copy1", "--from", remote_export, "--create-table")
        assert result.returncode == 0, result.stderr
        assert scan_all(ddb, "copy1") == expected
        table = ddb.describe_table(TableName="copy1")["Table"]
        assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
        server.process.send_signal(15)
        assert server.process.wait(timeout=30) == 0
        server.log.close()

        # Against the data directory: one consistent view, bulk writes.
        data = os.path.join(scratch, "src", "db")
        local_export = os.path.join(scratch, "local-export")
        result = cli("export", "--data", data, "--table", "source", "--to", local_export)
        assert result.returncode == 0, result.stderr
        result = cli("import", "--data", data, "--to-table", "copy2", "--from", local_export, "--create-table")
        assert result.returncode == 0, result.stderr
        plain = os.path.join(scratch, "plain.jsonl")
        result = cli("export", "--data", data, "--table", "source", "--to", plain, "--format", "jsonl")
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in open(plain)]
        assert len(rows) == 130 and {r["big"] for r in rows} == {int("9" * 38)}

        server = Server(data=os.path.join(scratch, "src"))
        ddb = client(server)
        assert scan_all(ddb, "copy2") == expected
        reds = ddb.query(TableName="copy1", IndexName="byG", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "red"}})["Items"]
        assert len(reds) == sum(1 for i in expected if i["g"]["S"] == "red")
        server.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_import_reports_bad_lines_and_loses_nothing_valid(server):
    ddb = client(server)
    make_table(ddb, "bad_lines")
    scratch = tempfile.mkdtemp(prefix="shoal-import-")
    try:
        good = lambda i: json.dumps({"Item": {"pk": {"S": f"g{i}"}, "sk": {"N": str(i)}}})
        lines = [
            good(1),
            "{not json",                                                           # 2: bad JSON
            good(2),
            json.dumps({"Item": {"pk": {"N": "1"}, "sk": {"N": "3"}}}),            # 4: key of the wrong type
            json.dumps({"Item": {"pk": {"S": "big"}, "sk": {"N": "4"}, "x": {"S": "y" * 410_000}}}),  # 5: over 400 KB
            json.dumps({"pk": {"S": "nowrap"}, "sk": {"N": "5"}}),                 # 6: no Item
            json.dumps({"Item": {"pk": {"S": "g3"}, "sk": {"N": "x"}}}),           # 7: not a number
            good(3),
            "",
            good(4),
        ]
        path = os.path.join(scratch, "items.json.gz")
        with gzip.open(path, "wt") as f:
            f.write("\n".join(lines) + "\n")

        result = cli("import", "--endpoint", server.endpoint, "--to-table", "bad_lines", "--from", path, "--on-error", "skip")
        assert result.returncode == 2, result.stderr
        reported = sorted(int(l.split(":")[1]) for l in result.stderr.splitlines() if l.startswith(path + ":"))
        assert reported == [2, 4, 5, 6, 7], result.stderr
        assert "400 KB" in result.stderr or "maximum allowed size" in result.stderr
        assert sorted(i["pk"]["S"] for i in ddb.scan(TableName="bad_lines")["Items"]) == ["g1", "g2", "g3", "g4"]

        # Stop: everything before the first bad line is in, nothing after it.
        ddb.create_table(TableName="stopper", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                         BillingMode="PAY_PER_REQUEST")
        result = cli("import", "--endpoint", server.endpoint, "--to-table", "stopper", "--from", path)
        assert result.returncode == 1 and f"{path}:2:" in result.stderr, result.stderr
        assert [i["pk"]["S"] for i in ddb.scan(TableName="stopper")["Items"]] == ["g1"]

        # A refusal found only when writing (the size) also stops exactly there.
        oversized = os.path.join(scratch, "oversized.json")
        with open(oversized, "w") as f:
            f.write("\n".join([good(10), good(11), lines[4], good(12)]) + "\n")
        result = cli("import", "--endpoint", server.endpoint, "--to-table", "stopper", "--from", oversized)
        assert result.returncode == 1 and f"{oversized}:3:" in result.stderr, result.stderr
        assert sorted(i["pk"]["S"] for i in ddb.scan(TableName="stopper")["Items"]) == ["g1", "g10", "g11"]

        # CSV with the table's key types; a missing table without --create-table is refused.
        csv = os.path.join(scratch, "people.csv")
        with open(csv, "w") as f:
            f.write('pk,sk,name,note\nc1,1,Ann,"with, comma"\nc2,two,Bob,\nc3,3,"Q ""x""",\n')
        result = cli("import", "--endpoint", server.endpoint, "--to-table", "bad_lines", "--from", csv, "--on-error", "skip")
        assert result.returncode == 2 and f"{csv}:3:" in result.stderr, result.stderr
        c1 = ddb.get_item(TableName="bad_lines", Key={"pk": {"S": "c1"}, "sk": {"N": "1"}})["Item"]
        assert c1["note"] == {"S": "with, comma"} and c1["name"] == {"S": "Ann"}
        c3 = ddb.get_item(TableName="bad_lines", Key={"pk": {"S": "c3"}, "sk": {"N": "3"}})["Item"]
        assert c3 == {"pk": {"S": "c3"}, "sk": {"N": "3"}, "name": {"S": 'Q "x"'}}
        result = cli("import", "--endpoint", server.endpoint, "--to-table", "nowhere", "--from", csv)
        assert result.returncode != 0 and "--create-table" in result.stderr
        result = cli("import", "--endpoint", server.endpoint, "--to-table", "made", "--from", csv, "--create-table",
                     "--partition-key", "pk:S", "--sort-key", "sk:N", "--on-error", "skip")
        assert result.returncode == 2
        assert ddb.scan(TableName="made", Select="COUNT")["Count"] == 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_export_of_a_missing_table_leaves_nothing(server):
    scratch = tempfile.mkdtemp(prefix="shoal-export-")
    try:
        target = os.path.join(scratch, "out")
        result = cli("export", "--endpoint", server.endpoint, "--table", "no_such_table", "--to", target)
        assert result.returncode != 0 and "ResourceNotFoundException" in result.stderr
        assert not os.path.exists(target) or os.listdir(target) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_ctrl_c_stops_export_and_import_cleanly(server):
    """SIGINT mid-export removes the partial export; mid-import leaves whole items, and the same
    import run again completes the table."""
    import signal
    import time
    ddb = client(server)
    ddb.create_table(TableName="interrupted", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    scratch = tempfile.mkdtemp(prefix="shoal-interrupt-")
    try:
        path = os.path.join(scratch, "many.json")
        with open(path, "w") as f:
            for i in range(60000):
                f.write(json.dumps({"Item": {"pk": {"S": f"k{i}"}, "pad": {"S": "x" * 100}}}) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        importer = subprocess.Popen([shoal_binary(), "import", "--endpoint", server.endpoint, "--to-table", "interrupted", "--from", path],
                                    stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.time() + 30
        while ddb.scan(TableName="interrupted", Select="COUNT", Limit=5)["Count"] == 0 and time.time() < deadline:
            time.sleep(0.05)
        importer.send_signal(signal.SIGINT)
        _, stderr = importer.communicate(timeout=60)
        assert importer.returncode == 130, stderr
        assert "interrupted" in stderr
        partial = scan_items(ddb, "interrupted")
        assert 0 < len(partial) < 60000
        assert all(i["pad"]["S"] == "x" * 100 for i in partial)
        result = cli("import", "--endpoint", server.endpoint, "--to-table", "interrupted", "--from", path)
        assert result.returncode == 0, result.stderr
        assert len(scan_items(ddb, "interrupted")) == 60000

        target = os.path.join(scratch, "export")
        exporter = subprocess.Popen([shoal_binary(), "export", "--endpoint", server.endpoint, "--table", "interrupted", "--to", target],
                                    stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.time() + 30
        while not os.path.exists(target) and time.time() < deadline:
            time.sleep(0.01)
        exporter.send_signal(signal.SIGINT)
        _, stderr = exporter.communicate(timeout=60)
        assert exporter.returncode in (0, 130), stderr
        if exporter.returncode == 130:
            assert not os.path.exists(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
