"""Triggers: Lambda's event-source-mapping API, webhooks, the Lambda Runtime API under AWS's own
runtime interface client (awslambdaric), and at-least-once delivery across a kill -9."""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from conftest import Server, client_config, error_code, error_message, free_port, shoal_binary

RECORD_KEYS = {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb", "eventSourceARN"}


class Receiver:
    """A webhook endpoint recording every event; `answer(event)` gives (status, body)."""

    def __init__(self, answer=None):
        self.events = []
        self.lock = threading.Lock()
        self.answer = answer or (lambda event: (200, {}))
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                with receiver.lock:
                    receiver.events.append(event)
                status, reply = receiver.answer(event)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def records(self):
        with self.lock:
            return [r for e in self.events for r in e["Records"]]

    def close(self):
        self.server.shutdown()


def wait_for(condition, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def clients(server):
    kwargs = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                  aws_secret_access_key="x", config=client_config())
    return boto3.client("dynamodb", **kwargs), boto3.client("lambda", **kwargs)


def stream_table(ddb, name, view="NEW_AND_OLD_IMAGES"):
    result = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return result["TableDescription"]["LatestStreamArn"]


def triggers_server(text, *extra, data=None, env=None):
    folder = tempfile.mkdtemp(prefix="shoal-triggers-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "triggers.yaml")
    with open(path, "w") as f:
        f.write(text)
    return Server("--triggers", path, *extra, data=data, env=env)


def test_webhook_gets_lambdas_dynamodb_event_and_file_filters_apply():
    hook = Receiver()
    removed = Receiver()
    server = triggers_server(f"""
Functions:
  audit:
    Webhook: {hook.url}
  removals:
    Webhook: {removed.url}
EventSourceMappings:
  - FunctionName: audit
    Table: Orders
    StartingPosition: TRIM_HORIZON
    BatchSize: 10
  - FunctionName: removals
    Table: Orders
    StartingPosition: TRIM_HORIZON
    FilterCriteria: {{Filters: [{{Pattern: '{{"eventName": ["REMOVE"]}}'}}]}}
""")
    try:
        ddb, lam = clients(server)
        arn = stream_table(ddb, "Orders")   # created after the server: the mappings bind to it
        ddb.put_item(TableName="Orders", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "qty": {"N": "3"}})
        ddb.put_item(TableName="Orders", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "qty": {"N": "4"}})
        ddb.delete_item(TableName="Orders", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
        assert wait_for(lambda: len(hook.records()) == 3)
        records = hook.records()
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
        for r in records:
            assert set(r) == RECORD_KEYS
            assert r["eventSource"] == "aws:dynamodb" and r["eventVersion"] == "1.1" and r["awsRegion"] == "us-east-1"
            assert r["eventSourceARN"] == arn
            assert set(r["dynamodb"]) >= {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"}
            assert r["dynamodb"]["Keys"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}
        assert records[1]["dynamodb"]["OldImage"]["qty"] == {"N": "3"}
        assert records[1]["dynamodb"]["NewImage"]["qty"] == {"N": "4"}
        assert "NewImage" not in records[2]["dynamodb"]
        assert wait_for(lambda: len(removed.records()) == 1)
        time.sleep(0.3)
        assert [r["eventName"] for r in removed.records()] == ["REMOVE"]
        mappings = lam.list_event_source_mappings()["EventSourceMappings"]
        assert {m["FunctionArn"].split(":")[-1] for m in mappings} == {"audit", "removals"}
        assert all(m["EventSourceArn"] == arn and m["State"] == "Enabled" for m in mappings)
        filtered = [m for m in mappings if m["FunctionArn"].endswith(":removals")][0]
        assert filtered["FilterCriteria"] == {"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}]}
    finally:
        server.stop()
        hook.close()
        removed.close()


def test_lambda_api_through_boto3_and_the_cli():
    hook = Receiver()
    server = triggers_server(f"Functions:\n  f1:\n    Webhook: {hook.url}\n  f2:\n    Webhook: {hook.url}\n",
                             "--allowed-destinations", "http://127.0.0.1:1/")
    try:
        ddb, lam = clients(server)
        arn = stream_table(ddb, "Tbl")
        created = lam.create_event_source_mapping(FunctionName="f1", EventSourceArn=arn, StartingPosition="LATEST",
                                                  BatchSize=5, MaximumRetryAttempts=2, BisectBatchOnFunctionError=True,
                                                  FunctionResponseTypes=["ReportBatchItemFailures"],
                                                  DestinationConfig={"OnFailure": {"Destination": "http://127.0.0.1:1/dlq"}})
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert created["State"] == "Creating" and created["BatchSize"] == 5 and created["MaximumRetryAttempts"] == 2
        assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:f1"
        assert created["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert created["DestinationConfig"] == {"OnFailure": {"Destination": "http://127.0.0.1:1/dlq"}}
        uuid_ = created["UUID"]
        got = lam.get_event_source_mapping(UUID=uuid_)
        assert got["State"] == "Enabled" and got["EventSourceArn"] == arn and got["StartingPosition"] == "LATEST"
        assert got["MaximumRecordAgeInSeconds"] == -1 and got["ParallelizationFactor"] == 1
        updated = lam.update_event_source_mapping(UUID=uuid_, BatchSize=50, Enabled=False)
        assert updated["BatchSize"] == 50 and updated["State"] == "Disabling"
        assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
        # The AWS CLI, exactly as one would call AWS.
        env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
        out = subprocess.run([sys.executable, "-m", "awscli", "lambda", "create-event-source-mapping", "--endpoint-url", server.endpoint,
                              "--function-name", "f2", "--event-source-arn", arn, "--starting-position", "TRIM_HORIZON"],
                             env=env, capture_output=True, text=True, check=True)
        cli = json.loads(out.stdout)
        assert cli["FunctionArn"].endswith(":function:f2") and cli["EventSourceArn"] == arn
        listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
        assert sorted(m["UUID"] for m in listed) == sorted([uuid_, cli["UUID"]])
        assert [m["UUID"] for m in lam.list_event_source_mappings(FunctionName="f2")["EventSourceMappings"]] == [cli["UUID"]]
        page = lam.list_event_source_mappings(MaxItems=1)
        assert len(page["EventSourceMappings"]) == 1 and "NextMarker" in page
        rest = lam.list_event_source_mappings(Marker=page["NextMarker"])["EventSourceMappings"]
        assert len(rest) == 1 and rest[0]["UUID"] != page["EventSourceMappings"][0]["UUID"]
        # Errors, as Lambda names them.
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
            lam.create_event_source_mapping(FunctionName="undeclared", EventSourceArn=arn, StartingPosition="LATEST")
        assert "Function not found" in error_message(e)
        with pytest.raises(lam.exceptions.ResourceConflictException):
            lam.create_event_source_mapping(FunctionName="f1", EventSourceArn=arn, StartingPosition="LATEST")
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            lam.create_event_source_mapping(FunctionName="f1", EventSourceArn=arn + "-nope", StartingPosition="LATEST")
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            lam.create_event_source_mapping(FunctionName="f1", EventSourceArn=arn, StartingPosition="LATEST",
                                            MaximumRecordAgeInSeconds=30)
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            lam.create_event_source_mapping(FunctionName="f1", EventSourceArn=arn, StartingPosition="LATEST",
                                            FilterCriteria={"Filters": [{"Pattern": "not json"}]})
        assert error_message(e) == "Invalid filter pattern definition."
        with pytest.raises(lam.exceptions.ClientError) as e:
            lam.create_event_source_mapping(FunctionName="f1", EventSourceArn=arn, StartingPosition="LATEST", BatchSize=10001)
        assert error_code(e) == "ValidationException"
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_event_source_mapping(UUID=str(uuid.uuid4()))
        deleted = lam.delete_event_source_mapping(UUID=uuid_)
        assert deleted["State"] == "Deleting"
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_event_source_mapping(UUID=uuid_)
    finally:
        server.stop()
        hook.close()


def raw_mappings(server):
    """ListEventSourceMappings as sent, with Shoal's progress members (boto3 drops unknown members)."""
    with urllib.request.urlopen(server.endpoint + "/2015-03-31/event-source-mappings/") as response:
        return json.loads(response.read())["EventSourceMappings"]


def test_retries_bisect_and_on_failure_webhook():
    failures = Receiver()

    def answer(event):
        tags = [r["dynamodb"]["NewImage"]["tag"]["S"] for r in event["Records"]]
        return (500, {"errorMessage": "bad"}) if "bad" in tags else (200, {})

    hook = Receiver(answer)
    server = triggers_server(f"""
Functions:
  f:
    Webhook: {hook.url}
    Timeout: 5
EventSourceMappings:
  - FunctionName: f
    Table: Items
    StartingPosition: TRIM_HORIZON
    BatchSize: 4
    BisectBatchOnFunctionError: true
    MaximumRetryAttempts: 1
    DestinationConfig: {{OnFailure: {{Destination: "{failures.url}"}}}}
""", "--durability", "nosync")
    try:
        ddb, lam = clients(server)
        stream_table(ddb, "Items")
        # One partition key: one stream shard, these four records in one batch, in this order.
        ddb.batch_write_item(RequestItems={"Items": [{"PutRequest": {"Item": {"pk": {"S": "x"}, "sk": {"N": str(i)}, "tag": {"S": tag}}}}
                                                     for i, tag in enumerate(["a", "b", "bad", "c"])]})
        assert wait_for(lambda: len(failures.events) == 1)
        failure = failures.events[0]
        assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
        # Invocations that carried the record: [a b bad c], [bad c], [bad], [bad] again.
        assert failure["requestContext"]["approximateInvokeCount"] == 4
        assert failure["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:f"
        assert failure["version"] == "1.0" and failure["responseContext"]["functionError"] == "Unhandled"
        info = failure["DDBStreamBatchInfo"]
        assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
        assert set(info) == {"shardId", "startSequenceNumber", "endSequenceNumber", "approximateArrivalOfFirstRecord",
                             "approximateArrivalOfLastRecord", "batchSize", "streamArn"}
        # [a b bad c] fails → [a b] ok, [bad c] fails → [bad] fails, retried once, given up; [c] ok.
        assert wait_for(lambda: [len(e["Records"]) for e in hook.events] == [4, 2, 2, 1, 1, 1])
        ok = [r["dynamodb"]["NewImage"]["tag"]["S"] for e in hook.events[1:2] + hook.events[-1:] for r in e["Records"]]
        assert ok == ["a", "b", "c"]
        assert wait_for(lambda: raw_mappings(server)[0]["ShoalProgress"]["RecordsBehind"] == 0)
        assert lam.list_event_source_mappings()["EventSourceMappings"][0]["LastProcessingResult"] == "OK"
    finally:
        server.stop()
        hook.close()
        failures.close()


def start_runtime(port, folder, handler, **env):
    """AWS's runtime interface client running `handler` from `folder` against Shoal's Runtime API on `port`."""
    environment = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", PYTHONPATH=folder, **env)
    return subprocess.Popen([sys.executable, "-m", "awslambdaric", handler], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


HANDLER = '''
import json, os
LOG = os.environ["SHOAL_TEST_LOG"]

def handler(event, context):
    with open(LOG, "a") as f:
        f.write(json.dumps({"event": event, "remaining": context.get_remaining_time_in_millis(),
                            "arn": context.invoked_function_arn, "request": context.aws_request_id}) + "\\n")
    seen = os.path.exists(LOG + ".failed")
    for record in event["Records"]:
        if record["dynamodb"]["Keys"]["pk"]["S"] == "fail-once" and not seen:
            open(LOG + ".failed", "w").close()
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
'''


def test_unchanged_python_handler_under_awslambdaric():
    pytest.importorskip("awslambdaric")
    folder = tempfile.mkdtemp(prefix="shoal-handler-")
    with open(os.path.join(folder, "app.py"), "w") as f:
        f.write(HANDLER)
    log = os.path.join(folder, "events.jsonl")
    port = free_port()
    server = triggers_server(f"""
Functions:
  orders-handler:
    RuntimeApi: 127.0.0.1:{port}
    Timeout: 30
EventSourceMappings:
  - FunctionName: orders-handler
    Table: Orders
    StartingPosition: TRIM_HORIZON
    BatchSize: 10
    FunctionResponseTypes: [ReportBatchItemFailures]
""")
    runtime = start_runtime(port, folder, "app.handler", SHOAL_TEST_LOG=log)
    try:
        ddb, _ = clients(server)
        arn = stream_table(ddb, "Orders")
        # One partition key: one shard, one ordered batch.
        ddb.batch_write_item(RequestItems={"Orders": [
            {"PutRequest": {"Item": {"pk": {"S": k}, "sk": {"N": "1"}, "v": {"S": "x"}}}} for k in ["a", "fail-once", "b"]]})

        def invocations():
            if not os.path.exists(log):
                return []
            with open(log) as f:
                return [json.loads(line) for line in f]

        assert wait_for(lambda: {r["dynamodb"]["Keys"]["pk"]["S"] for i in invocations() for r in i["event"]["Records"]} >= {"a", "fail-once", "b"})
        calls = invocations()
        first = calls[0]
        assert set(first["event"]) == {"Records"}
        assert first["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:orders-handler"
        assert 0 < first["remaining"] <= 30000
        for record in (r for i in calls for r in i["event"]["Records"]):
            assert set(record) == RECORD_KEYS
            assert record["eventSourceARN"] == arn
        # The record reported failed is delivered again, as the first of a later batch of its shard.
        fail_seq = None
        for i, call in enumerate(calls):
            for r in call["event"]["Records"]:
                if r["dynamodb"]["Keys"]["pk"]["S"] == "fail-once":
                    fail_seq = fail_seq or r["dynamodb"]["SequenceNumber"]
        assert wait_for(lambda: sum(1 for i in invocations() for r in i["event"]["Records"]
                                    if r["dynamodb"]["SequenceNumber"] == fail_seq) == 2)
        retried = [i for i in invocations() if any(r["dynamodb"]["SequenceNumber"] == fail_seq for r in i["event"]["Records"])][1]
        assert retried["event"]["Records"][0]["dynamodb"]["SequenceNumber"] == fail_seq
        assert len({i["request"] for i in invocations()}) == len(invocations())
    finally:
        runtime.terminate()
        runtime.wait(timeout=10)
        server.stop()


def test_at_least_once_across_kill_9():
    # A slow function (0.3 s a batch) and fast writes: delivery is still under way at the kill.
    hook = Receiver(lambda event: (time.sleep(0.3), (200, {}))[1])
    data = tempfile.mkdtemp(prefix="shoal-kill-")
    text = f"""
Functions:
  f:
    Webhook: {hook.url}
EventSourceMappings:
  - FunctionName: f
    Table: Events
    StartingPosition: TRIM_HORIZON
    BatchSize: 3
    ParallelizationFactor: 3
"""
    server = triggers_server(text, data=data)
    ddb, _ = clients(server)
    stream_table(ddb, "Events")
    written = [(f"k{i % 17}", i) for i in range(300)]
    for start in range(0, 300, 25):
        ddb.batch_write_item(RequestItems={"Events": [{"PutRequest": {"Item": {"pk": {"S": key}, "sk": {"N": str(i)}}}}
                                                      for key, i in written[start:start + 25]]})
    # Kill while delivery is under way.
    assert wait_for(lambda: len(hook.records()) > 20)
    assert len(hook.records()) < 300
    server.kill()
    before = len(hook.records())
    server = triggers_server(text, data=data)
    try:
        def delivered():
            return {(r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["Keys"]["sk"]["N"])) for r in hook.records()}
        assert wait_for(lambda: delivered() >= set(written), timeout=60)
        # Nothing lost; per partition key, first deliveries in write order; repeats only of
        # records delivered before the kill (their batches were not checkpointed).
        first_seen = {}
        order = {}
        for r in hook.records():
            key = (r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["Keys"]["sk"]["N"]))
            if key not in first_seen:
                first_seen[key] = len(first_seen)
                order.setdefault(key[0], []).append(key[1])
        for key, sks in order.items():
            assert sks == sorted(sks), key
        counts = {}
        for index, r in enumerate(hook.records()):
            key = (r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["Keys"]["sk"]["N"]))
            counts.setdefault(key, []).append(index)
        for key, indexes in counts.items():
            if len(indexes) > 1:
                assert indexes[0] < before, f"{key} delivered twice without a crash in between"
        # Delivered, then checkpointed; the CLI, against the running server and the directory beside it.
        assert wait_for(lambda: raw_mappings(server)[0]["ShoalProgress"]["RecordsBehind"] == 0)
        out = subprocess.run([shoal_binary(), "triggers", "--endpoint", server.endpoint], capture_output=True, text=True, check=True)
        assert " f " in out.stdout and "Enabled" in out.stdout
        out = subprocess.run([shoal_binary(), "triggers", "--data", os.path.join(data, "db")], capture_output=True, text=True, check=True)
        assert " f " in out.stdout and "behind: 0 records" in out.stdout
    finally:
        server.stop()
        hook.close()


def test_triggers_file_errors_stop_the_server_with_a_message(tmp_path):
    folder = str(tmp_path)
    path = os.path.join(folder, "t.yaml")
    with open(path, "w") as f:
        f.write("Functions:\n  f:\n    Webhook: http://127.0.0.1:1/x\nEventSourceMappings:\n  - FunctionName: g\n    Table: T\n    StartingPosition: LATEST\n")
    out = subprocess.run([shoal_binary(), "serve", "--data", os.path.join(folder, "db"), "--port", str(free_port()), "--triggers", path],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "EventSourceMappings[0].FunctionName g is not declared under Functions" in out.stderr


def test_tumbling_window_event_fields_and_state():
    def answer(event):
        count = event["state"].get("count", 0) + len(event["Records"])
        return 200, {"state": {"count": count}, "batchItemFailures": []}

    hook = Receiver(answer)
    server = triggers_server(f"""
Functions:
  agg:
    Webhook: {hook.url}
EventSourceMappings:
  - FunctionName: agg
    Table: Win
    StartingPosition: TRIM_HORIZON
    TumblingWindowInSeconds: 2
""")
    try:
        ddb, _ = clients(server)
        arn = stream_table(ddb, "Win")
        for i in range(5):
            ddb.put_item(TableName="Win", Item={"pk": {"S": "same"}, "sk": {"N": str(i)}})

        def finals():
            return [e for e in hook.events if e["isFinalInvokeForWindow"]]

        assert wait_for(lambda: sum(e["state"].get("count", 0) for e in finals()) == 5, timeout=20)
        for event in hook.events:
            assert set(event) == {"Records", "window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow", "isWindowTerminatedEarly"}
            assert event["eventSourceARN"] == arn and event["shardId"].startswith("shardId-")
            assert event["isWindowTerminatedEarly"] is False
            start = time.strptime(event["window"]["start"], "%Y-%m-%dT%H:%M:%SZ")
            end = time.strptime(event["window"]["end"], "%Y-%m-%dT%H:%M:%SZ")
            assert time.mktime(end) - time.mktime(start) == 2
        for event in finals():
            assert event["Records"] == []
        # Within a window, each invocation starts from the state the previous one returned.
        first = [e for e in hook.events if not e["isFinalInvokeForWindow"]][0]
        assert first["state"] == {}
    finally:
        server.stop()
        hook.close()


SLOW_HANDLER = '''
import json, os, time
def handler(event, context):
    with open(os.environ["SHOAL_TEST_LOG"], "a") as f:
        f.write(json.dumps({"remaining": context.get_remaining_time_in_millis()}) + "\\n")
    time.sleep(2.5)
    return {}
'''


def test_runtime_api_deadline_fails_a_slow_invocation():
    pytest.importorskip("awslambdaric")
    failures = Receiver()
    folder = tempfile.mkdtemp(prefix="shoal-slow-")
    with open(os.path.join(folder, "app.py"), "w") as f:
        f.write(SLOW_HANDLER)
    port = free_port()
    server = triggers_server(f"""
Functions:
  slow:
    RuntimeApi: 127.0.0.1:{port}
    Timeout: 1
EventSourceMappings:
  - FunctionName: slow
    Table: Slow
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 0
    DestinationConfig: {{OnFailure: {{Destination: "{failures.url}"}}}}
""")
    runtime = start_runtime(port, folder, "app.handler", SHOAL_TEST_LOG=os.path.join(folder, "log.jsonl"))
    try:
        ddb, lam = clients(server)
        stream_table(ddb, "Slow")
        ddb.put_item(TableName="Slow", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        assert wait_for(lambda: len(failures.events) == 1, timeout=30)
        assert failures.events[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
        with open(os.path.join(folder, "log.jsonl")) as f:
            assert 0 < json.loads(f.readline())["remaining"] <= 1000
        progress = raw_mappings(server)[0]["ShoalProgress"]
        assert "timed out" in progress["LastError"] or "discarded" in progress["LastError"]
        assert lam.list_event_source_mappings()["EventSourceMappings"][0]["LastProcessingResult"] == "PROBLEM: Function call failed"
    finally:
        runtime.terminate()
        runtime.wait(timeout=10)
        server.stop()
        failures.close()


def test_lambda_api_checks_signatures_when_the_server_does(sigv4_server):
    from conftest import ACCESS_KEY, SECRET_KEY
    good = boto3.client("lambda", endpoint_url=sigv4_server.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, config=client_config())
    assert good.list_event_source_mappings(FunctionName="nothing", MaxItems=5)["EventSourceMappings"] == []
    bad = boto3.client("lambda", endpoint_url=sigv4_server.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key="wrong", config=client_config())
    with pytest.raises(bad.exceptions.ClientError) as e:
        bad.list_event_source_mappings()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_code(e) == "InvalidSignatureException"


RAISING_HANDLER = '''
def handler(event, context):
    raise ValueError("cannot handle " + event["Records"][0]["dynamodb"]["Keys"]["pk"]["S"])
'''


def test_runtime_api_errors_and_init_errors_from_awslambdaric():
    pytest.importorskip("awslambdaric")
    failures = Receiver()
    folder = tempfile.mkdtemp(prefix="shoal-raising-")
    with open(os.path.join(folder, "app.py"), "w") as f:
        f.write(RAISING_HANDLER)
    with open(os.path.join(folder, "broken.py"), "w") as f:
        f.write("import not_a_module_anywhere\n")
    raising, broken = free_port(), free_port()
    server = triggers_server(f"""
Functions:
  raising:
    RuntimeApi: 127.0.0.1:{raising}
    Timeout: 5
  broken:
    RuntimeApi: 127.0.0.1:{broken}
    Timeout: 1
EventSourceMappings:
  - FunctionName: raising
    Table: Err
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 1
    DestinationConfig: {{OnFailure: {{Destination: "{failures.url}"}}}}
  - FunctionName: broken
    Table: Err
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 0
""")
    runtimes = [start_runtime(port, folder, handler) for port, handler in [(raising, "app.handler"), (broken, "broken.handler")]]
    try:
        ddb, lam = clients(server)
        stream_table(ddb, "Err")
        ddb.put_item(TableName="Err", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        # The handler's exception is a function error (POST …/error): retried once, then given up.
        assert wait_for(lambda: len(failures.events) == 1, timeout=30)
        assert failures.events[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert failures.events[0]["requestContext"]["approximateInvokeCount"] == 2

        def mapping(function):
            return [m for m in raw_mappings(server) if m["FunctionArn"].endswith(":" + function)][0]

        raising_progress = mapping("raising")
        assert raising_progress["LastProcessingResult"] == "PROBLEM: Function call failed"
        assert "discarded (RetryAttemptsExhausted)" in raising_progress["ShoalProgress"]["LastError"]
        assert "cannot handle a" in raising_progress["ShoalProgress"]["LastError"]
        # A runtime whose handler cannot load reports init/error; its invocations wait (no retries used).
        assert wait_for(lambda: "init error" in mapping("broken")["ShoalProgress"].get("LastError", ""), timeout=30)
        assert mapping("broken")["ShoalProgress"]["RecordsBehind"] == 1
    finally:
        for runtime in runtimes:
            runtime.terminate()
            runtime.wait(timeout=10)
        server.stop()
        failures.close()
