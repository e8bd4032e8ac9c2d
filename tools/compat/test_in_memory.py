"""`shoal serve --in-memory`: a fresh database in a temporary folder on the memory-backed
filesystem, served like any other (tables, indexes, transactions, streams), removed on exit."""
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

import boto3

from conftest import client_config, free_port, shoal_binary


def test_in_memory_server_serves_and_leaves_nothing():
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([shoal_binary(), "serve", "--in-memory", "--port", str(port), "--shards", "2"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None and time.time() < deadline, "shoal serve --in-memory did not start"
            time.sleep(0.05)
        log.seek(0)
        folder = re.search(r"Shoal serving (\S+)/db \(in memory, removed on exit\)", log.read()).group(1)
        if os.access("/dev/shm", os.W_OK):
            assert folder.startswith("/dev/shm/shoal-memory-")
        assert os.path.isdir(folder + "/db")
        ddb = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
        created = ddb.create_table(TableName="mem", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                                   StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "mem", "Item": {"pk": {"S": k}}}} for k in ("a", "b", "c")])
        assert ddb.scan(TableName="mem")["Count"] == 3
        streams = boto3.client("dynamodbstreams", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
        arn = created["TableDescription"]["LatestStreamArn"]
        records = 0
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records += len(streams.get_records(ShardIterator=iterator)["Records"])
        assert records == 3
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not os.path.exists(folder)


def test_in_memory_and_data_exclude_each_other():
    result = subprocess.run([shoal_binary(), "serve", "--in-memory", "--data", "somewhere"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "--in-memory and --data exclude each other" in result.stderr
