"""`GET /metrics`: Prometheus' text format, read with the official Python parser."""
import os
import time
import urllib.request

import boto3
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from conftest import Server, client_config, free_port


def scrape(server):
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return families


def samples(families, family, name=None, **labels):
    found = []
    for sample in families[family].samples:
        if (name is None or sample.name == name) and all(sample.labels.get(k) == v for k, v in labels.items()):
            found.append(sample)
    return found


def value(families, family, name=None, **labels):
    (sample,) = samples(families, family, name, **labels)
    return sample.value


def test_metrics_follow_requests_commits_tables_and_triggers(tmp_path):
    # A function nobody answers: its mapping falls behind by every record.
    folder = str(tmp_path)
    triggers = os.path.join(folder, "triggers.yaml")
    with open(triggers, "w") as f:
        f.write(f"Functions:\n  down:\n    Webhook: http://127.0.0.1:{free_port()}/\n"
                "EventSourceMappings:\n  - FunctionName: down\n    Table: metered\n    StartingPosition: TRIM_HORIZON\n")
    server = Server("--triggers", triggers)
    try:
        ddb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id="a", aws_secret_access_key="b", config=client_config())
        ddb.create_table(TableName="metered", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        for i in range(20):
            ddb.put_item(TableName="metered", Item={"id": {"S": f"k{i}"}, "pad": {"S": "x" * 100}})
        for _ in range(3):
            ddb.get_item(TableName="metered", Key={"id": {"S": "k1"}})
        for _ in range(2):
            try:
                ddb.get_item(TableName="missing_table", Key={"id": {"S": "k1"}})
            except ClientError:
                pass

        families = scrape(server)
        assert value(families, "shoal_requests", "shoal_requests_total", operation="PutItem") == 20
        assert value(families, "shoal_requests", "shoal_requests_total", operation="GetItem") == 5
        assert value(families, "shoal_errors", "shoal_errors_total", operation="GetItem", type="ResourceNotFoundException") == 2
        latency = families["shoal_request_duration_seconds"]
        assert latency.type == "histogram"
        assert value(families, "shoal_request_duration_seconds", "shoal_request_duration_seconds_count", operation="PutItem") == 20
        buckets = samples(families, "shoal_request_duration_seconds", "shoal_request_duration_seconds_bucket", operation="PutItem")
        assert buckets and max(b.value for b in buckets) == 20

        # Group commits: every put committed in some group of some shard.
        writes = sum(s.value for s in samples(families, "shoal_group_commit_writes", "shoal_group_commit_writes_sum"))
        assert writes >= 20
        assert families["shoal_group_commit_duration_seconds"].type == "histogram"

        items = samples(families, "shoal_table_items", table="metered")
        assert len(items) == 4 and sum(s.value for s in items) == 20
        assert sum(s.value for s in samples(families, "shoal_table_bytes", table="metered")) > 20 * 100
        for shard in map(str, range(4)):
            assert value(families, "shoal_map_used_bytes", shard=shard) <= value(families, "shoal_map_size_bytes", shard=shard)
        assert sum(s.value for s in samples(families, "shoal_stream_records", "shoal_stream_records_total")) == 20

        deadline = time.time() + 10
        while True:
            behind = samples(families, "shoal_trigger_records_behind", function="down")
            if behind and behind[0].value == 20 or time.time() > deadline:
                break
            time.sleep(0.2)
            families = scrape(server)
        assert len(behind) == 1 and behind[0].value == 20
        assert value(families, "shoal_trigger_seconds_behind", function="down") >= 0

        # A deleted table's figures go away.
        ddb.delete_table(TableName="metered")
        families = scrape(server)
        assert "shoal_table_items" not in families or samples(families, "shoal_table_items", table="metered") == []
    finally:
        server.stop()
