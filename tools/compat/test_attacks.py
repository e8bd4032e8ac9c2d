"""Attacks on a real `shoal serve`, as curl and a few lines of Python would make them, under
`--auth none` and `--auth sigv4`: forged tokens, other hosts and origins on every port, calls
to addresses the operator did not choose, paths outside the backup root, and signatures scoped
to another service or region. Each asserts the safe answer and that the server stays up with
every acknowledged write intact."""
import atexit
import base64
import datetime
import http.client
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server, client_config, free_port
from test_triggers import Receiver, stream_table, triggers_server, wait_for


def credentials_file():
    directory = tempfile.mkdtemp(prefix="shoal-creds-")
    atexit.register(shutil.rmtree, directory, True)
    path = os.path.join(directory, "credentials")
    with open(path, "w") as f:
        f.write(f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    return path


AUTH_MODES = ["none", "sigv4"]


def auth_args(mode):
    return ["--auth", "sigv4", "--credentials", credentials_file()] if mode == "sigv4" else []


def clients(server, region="us-east-1"):
    kwargs = dict(endpoint_url=server.endpoint, region_name=region, aws_access_key_id=ACCESS_KEY,
                  aws_secret_access_key=SECRET_KEY, config=client_config())
    return (boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs),
            boto3.client("lambda", **kwargs))


def raw(port, method, path, headers, body=b"", host=None):
    """One request with exactly these headers; returns (status, {lower-case name: value}, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    for name, value in headers.items():
        connection.putheader(name, value)
    if method in ("POST", "PUT"):
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body if method in ("POST", "PUT") else None)
    response = connection.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    connection.close()
    return result


def signed(server, target, body, service="dynamodb", region="us-east-1", unsigned=()):
    """Headers of a POST / signed for `service` and `region`; `unsigned` headers are added after signing."""
    data = json.dumps(body).encode()
    headers = {"Host": f"127.0.0.1:{server.port}", "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=data,
                         headers={k: v for k, v in headers.items() if k not in unsigned})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, region).add_auth(request)
    result = dict(request.headers.items())
    for name in unsigned:
        result[name] = headers[name]
    result.pop("Host", None)
    return result, data


def admin(server, mode, path):
    """BackupDataDirectory through the admin target, signed when the server wants it."""
    target = "ShoalAdmin_20261126.BackupDataDirectory"
    if mode == "sigv4":
        headers, data = signed(server, target, {"Path": path})
    else:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
        data = json.dumps({"Path": path}).encode()
    status, _, body = raw(server.port, "POST", "/", headers, data)
    return status, json.loads(body)


def still_serving(ddb, table, keys):
    """The server answers, and every acknowledged item is there."""
    for key in keys:
        assert ddb.get_item(TableName=table, Key={"pk": {"S": key}, "sk": {"N": "1"}}, ConsistentRead=True).get("Item"), key


# MARK: 1. Tokens


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_forged_and_altered_shard_iterators_are_refused_and_the_server_stays_up(mode):
    server = Server(*auth_args(mode))
    try:
        ddb, streams, _ = clients(server)
        arn = stream_table(ddb, "Tok")
        keys = [f"k{i}" for i in range(20)]
        for key in keys:
            ddb.put_item(TableName="Tok", Item={"pk": {"S": key}, "sk": {"N": "1"}})
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        good = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        stream_id = arn.split("/stream/")[-1]
        forged = [
            # The old unsealed form with issue times that overflowed the age arithmetic or never expired.
            base64.b64encode(f"1|{stream_id}|0|0|-9223372036854775808".encode()).decode(),
            base64.b64encode(f"1|{stream_id}|0|0|9223372036854775807".encode()).decode(),
            good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
            "A" * 2048,
            "not base64 at all |||",
        ]
        raw_token = bytearray(base64.b64decode(good))
        raw_token[len(raw_token) // 2] ^= 1
        forged.append(base64.b64encode(bytes(raw_token)).decode())
        for token in forged:
            with pytest.raises(ClientError) as e:
                streams.get_records(ShardIterator=token)
            assert e.value.response["Error"]["Code"] == "ValidationException"
            assert "Invalid ShardIterator" in e.value.response["Error"]["Message"]
        assert len(streams.get_records(ShardIterator=good)["Records"]) >= 1
        still_serving(ddb, "Tok", keys)
    finally:
        server.stop()


def test_forged_mapping_markers_are_refused():
    hook = Receiver()
    server = triggers_server("Functions:\n" + "".join(f"  f{i}:\n    Webhook: {hook.url}\n" for i in range(3)))
    try:
        ddb, _, lam = clients(server)
        arn = stream_table(ddb, "Markers")
        for i in range(3):
            lam.create_event_source_mapping(FunctionName=f"f{i}", EventSourceArn=arn, StartingPosition="LATEST")
        page = lam.list_event_source_mappings(MaxItems=1)
        marker = page["NextMarker"]
        assert len(lam.list_event_source_mappings(Marker=marker, MaxItems=10)["EventSourceMappings"]) == 2
        with pytest.raises(ClientError) as e:
            lam.list_event_source_mappings(Marker=page["EventSourceMappings"][0]["UUID"])
        assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    finally:
        server.stop()
        hook.close()


# MARK: 2 and 8. One front door on every port


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_runtime_api_ports_refuse_other_hosts_and_every_origin(mode):
    port = free_port()
    # A bare port listens on loopback.
    server = triggers_server(f"Functions:\n  rt:\n    RuntimeApi: {port}\n", *auth_args(mode))
    try:
        path = "/2018-06-01/runtime/invocation/next"
        status, _, _ = raw(port, "GET", path, {}, host=f"attacker.example:{port}")
        assert status == 403
        status, headers, _ = raw(port, "GET", path, {"Origin": "http://evil.example"})
        assert status == 403 and "access-control-allow-origin" not in headers
        status, _, _ = raw(port, "POST", "/2018-06-01/runtime/invocation/x/error", {"Origin": "http://evil.example"}, b"{}")
        assert status == 403
        status, _, body = raw(port, "POST", "/2018-06-01/runtime/invocation/nope/response", {}, b"{}")
        assert status == 400 and b"InvalidRequestID" in body
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", port), timeout=2).close()
    finally:
        server.stop()


def test_metrics_are_not_a_cross_origin_read(server):
    status, headers, body = raw(server.port, "GET", "/metrics", {})
    assert status == 200 and b"shoal_requests_total" in body
    assert not any(h.startswith("access-control") for h in headers)
    status, headers, _ = raw(server.port, "GET", "/metrics", {"Origin": "http://evil.example"})
    assert status == 403 and not any(h.startswith("access-control") for h in headers)
    status, _, _ = raw(server.port, "GET", "/metrics", {}, host=f"evil.example:{server.port}")
    assert status == 403


def test_metrics_under_sigv4_are_signed_by_default_and_never_cors():
    creds = credentials_file()
    server = Server("--auth", "sigv4", "--credentials", creds)
    open_server = Server("--auth", "sigv4", "--credentials", creds, "--metrics-auth", "none")
    try:
        status, _, _ = raw(server.port, "GET", "/metrics", {})
        assert status == 403
        request = AWSRequest(method="GET", url=server.endpoint + "/metrics", headers={"Host": f"127.0.0.1:{server.port}"})
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", "us-east-1").add_auth(request)
        headers = {k: v for k, v in request.headers.items() if k != "Host"}
        status, _, body = raw(server.port, "GET", "/metrics", headers)
        assert status == 200 and b"shoal_requests_total" in body
        # A signature does not make /metrics a cross-origin read, though DynamoDB's port answers CORS.
        status, headers, _ = raw(server.port, "GET", "/metrics", {**headers, "Origin": "http://evil.example"})
        assert status == 403 and "access-control-allow-origin" not in headers
        status, _, _ = raw(open_server.port, "GET", "/metrics", {})
        assert status == 200
        status, _, _ = raw(open_server.port, "GET", "/metrics", {}, host=f"evil.example:{open_server.port}")
        assert status == 403
    finally:
        server.stop()
        open_server.stop()


# MARK: 4. Outbound calls


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_api_destinations_must_match_the_operators_prefixes(mode):
    hook = Receiver()
    allowed = f"http://127.0.0.1:{free_port()}/hooks/"
    bare = Server(*auth_args(mode))
    server = triggers_server(f"Functions:\n  f:\n    Webhook: {hook.url}\n  g:\n    Webhook: {hook.url}\n", *auth_args(mode),
                             "--allowed-destinations", allowed)
    try:
        ddb, _, lam = clients(bare)
        arn = stream_table(ddb, "Dst")
        bare_triggers = {"FunctionName": "f", "EventSourceArn": arn, "StartingPosition": "LATEST"}
        with pytest.raises(ClientError) as e:
            lam.create_event_source_mapping(**bare_triggers, DestinationConfig={"OnFailure": {"Destination": "http://127.0.0.1:1/x"}})
        assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert "--allowed-destinations" in e.value.response["Error"]["Message"]

        ddb, _, lam = clients(server)
        arn = stream_table(ddb, "Dst")
        base = {"FunctionName": "f", "EventSourceArn": arn, "StartingPosition": "LATEST"}
        host = allowed.split("/")[2]
        for refused in [f"http://{host}/other/x", f"http://{host}@evil.example/hooks/x", f"http://evil.example/hooks/x",
                        f"http://{host}/hooks/../admin", f"http://{host}/hooks/%2e%2e/admin", f"https://{host}/hooks/x",
                        f"http://{host}/hooksmith", f"http://user:pw@{host}/hooks/x"]:
            with pytest.raises(ClientError) as e:
                lam.create_event_source_mapping(**base, DestinationConfig={"OnFailure": {"Destination": refused}})
            assert e.value.response["Error"]["Code"] == "InvalidParameterValueException", refused
            assert "pw" not in e.value.response["Error"]["Message"]
        created = lam.create_event_source_mapping(**base, DestinationConfig={"OnFailure": {"Destination": allowed + "dlq?token=s3cret"}})
        shown = created["DestinationConfig"]["OnFailure"]["Destination"]
        assert shown.startswith(allowed + "dlq") and "s3cret" not in shown
        got = lam.get_event_source_mapping(UUID=created["UUID"])
        assert "s3cret" not in json.dumps(got, default=str)
        # A table ARN destination needs no allow-list.
        lam.create_event_source_mapping(**{**base, "FunctionName": "g"},
                                        DestinationConfig={"OnFailure": {"Destination": "arn:aws:dynamodb:us-east-1:000000000000:table/Dst"}})
    finally:
        bare.stop()
        server.stop()
        hook.close()


class Redirector:
    """An endpoint that answers every POST with 302 to `location`."""

    def __init__(self, location):
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.hits += 1
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_webhooks_follow_no_redirect_and_their_answers_stay_out_of_the_api():
    target = Receiver()
    redirecting = Redirector(target.url)
    failing = Receiver(answer=lambda event: (500, {"secret": "REMOTE-BODY-TEXT"}))
    server = triggers_server(f"""
Functions:
  hop:
    Webhook: {redirecting.url}?key=topsecret
  boom:
    Webhook: http://user:pa55word@{failing.url[len("http://"):]}
EventSourceMappings:
  - FunctionName: hop
    Table: Hooks
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 0
  - FunctionName: boom
    Table: Hooks
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 0
""")
    try:
        ddb, _, lam = clients(server)
        stream_table(ddb, "Hooks")
        ddb.put_item(TableName="Hooks", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})

        def last_errors():
            with urllib.request.urlopen(server.endpoint + "/2015-03-31/event-source-mappings/", timeout=10) as response:
                mappings = json.loads(response.read())["EventSourceMappings"]
            return [m.get("ShoalProgress", {}).get("LastError") for m in mappings]

        wait_for(lambda: all(e and "HTTP" in e for e in last_errors()) and len(last_errors()) == 2, timeout=30)
        errors = " | ".join(last_errors())
        assert "HTTP 302" in errors and "HTTP 500" in errors
        for secret in ["topsecret", "pa55word", "REMOTE-BODY-TEXT", "secret"]:
            assert secret not in errors, errors
        assert target.events == [] and redirecting.hits >= 1
        with open(os.path.join(server.data, "server.log")) as log:
            text = log.read()
        assert "topsecret" not in text and "pa55word" not in text and "REMOTE-BODY-TEXT" not in text
    finally:
        server.stop()
        for receiver in (target, redirecting, failing):
            receiver.close()


# MARK: 5. Admin paths


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_admin_backups_write_only_under_the_backup_root(mode):
    root = tempfile.mkdtemp(prefix="shoal-root-")
    outside = tempfile.mkdtemp(prefix="shoal-outside-")
    server = Server(*auth_args(mode), "--backup-root", root)
    try:
        ddb, _, _ = clients(server)
        ddb.create_table(TableName="Adm", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}])
        ddb.put_item(TableName="Adm", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        os.symlink(outside, os.path.join(root, "link"))
        messages = set()
        for path in [os.path.join(outside, "new"), outside, "/etc", "/nonexistent/deeper/x", "relative/x",
                     os.path.join(root, "..", os.path.basename(outside), "x"), os.path.join(root, "link", "x"),
                     os.path.join(root, ".", "x"), root]:
            status, answer = admin(server, mode, path)
            assert status == 400, (path, answer)
            messages.add(answer["message"])
        # One message whatever exists: nothing is learnt about the file system.
        assert len(messages) == 1 and "backup root" in messages.pop()
        assert os.listdir(outside) == []
        status, answer = admin(server, mode, os.path.join(root, "good", "b1"))
        assert status == 200, answer
        assert os.path.exists(os.path.join(root, "good", "b1", "BACKUP.json"))
        still_serving(ddb, "Adm", ["a"])
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


# MARK: 7. SigV4 as AWS checks it


def post_signed(server, headers, data):
    status, _, body = raw(server.port, "POST", "/", headers, data)
    answer = json.loads(body) if body else {}
    return status, answer.get("__type", "").split("#")[-1], answer.get("message", "")


def test_signatures_are_scoped_to_the_service_and_region_and_sign_the_target():
    creds = credentials_file()
    server = Server("--auth", "sigv4", "--credentials", creds, "--regions", "eu-west-1,us-east-1")
    try:
        target = "DynamoDB_20120810.ListTables"
        headers, data = signed(server, target, {})
        assert post_signed(server, headers, data)[0] == 200
        headers, data = signed(server, target, {}, service="s3")
        assert post_signed(server, headers, data) == (400, "InvalidSignatureException",
                                                      "Credential should be scoped to correct service: 'dynamodb'. ")
        headers, data = signed(server, target, {}, service="lambda")
        assert post_signed(server, headers, data)[1] == "InvalidSignatureException"
        headers, data = signed(server, target, {}, region="ap-south-1")
        assert post_signed(server, headers, data) == (400, "InvalidSignatureException", "Credential should be scoped to a valid region. ")
        headers, data = signed(server, target, {}, unsigned=("X-Amz-Target",))
        assert post_signed(server, headers, data) == (400, "InvalidSignatureException",
                                                      "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
        headers, data = signed(server, target, {}, unsigned=("Content-Type",))
        assert post_signed(server, headers, data)[1] == "InvalidSignatureException"
        # Streams are signed as dynamodb too; Lambda's API as lambda, and nothing else.
        _, streams, lam = clients(server)
        assert "Streams" in streams.list_streams()
        assert "EventSourceMappings" in lam.list_event_source_mappings()
        wrong = boto3.client("lambda", endpoint_url=server.endpoint, region_name="ap-south-1", aws_access_key_id=ACCESS_KEY,
                             aws_secret_access_key=SECRET_KEY, config=client_config())
        with pytest.raises(ClientError) as e:
            wrong.list_event_source_mappings()
        assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        server.stop()


def test_a_bad_signature_is_refused_before_the_body_is_read(sigv4_server):
    """The headers promise 10 MB that never come: the answer comes at once, not after a read."""
    headers, _ = signed(sigv4_server, "DynamoDB_20120810.ListTables", {}, service="s3")
    connection = socket.create_connection(("127.0.0.1", sigv4_server.port), timeout=10)
    lines = [f"POST / HTTP/1.1", f"Host: 127.0.0.1:{sigv4_server.port}", "Content-Length: 10000000"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    started = time.time()
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = connection.recv(65536)
    connection.close()
    assert answer.startswith(b"HTTP/1.1 400") and b"InvalidSignatureException" in answer
    assert time.time() - started < 5


# MARK: 3. A client that goes away is gone


def test_a_runtime_client_that_went_away_keeps_no_place_and_swallows_no_invocation():
    port = free_port()
    server = triggers_server(f"""
Functions:
  rt:
    RuntimeApi: {port}
    Timeout: 5
EventSourceMappings:
  - FunctionName: rt
    Table: Gone
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 0
""")
    try:
        ddb, _, _ = clients(server)
        stream_table(ddb, "Gone")
        # Three clients ask for the next invocation and hang up.
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(f"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            time.sleep(0.1)
            s.close()
        time.sleep(0.5)
        ddb.put_item(TableName="Gone", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        # A client that stays gets the invocation, though the ones that left asked first.
        status, headers, body = raw(port, "GET", "/2018-06-01/runtime/invocation/next", {})
        assert status == 200
        event = json.loads(body)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]] == ["a"]
        request_id = headers["lambda-runtime-aws-request-id"]
        status, _, _ = raw(port, "POST", f"/2018-06-01/runtime/invocation/{request_id}/response", {}, b"{}")
        assert status == 202

        def processed():
            with urllib.request.urlopen(server.endpoint + "/2015-03-31/event-source-mappings/", timeout=10) as response:
                mapping = json.loads(response.read())["EventSourceMappings"][0]
            return mapping["LastProcessingResult"] == "OK" and "discarded" not in mapping.get("ShoalProgress", {}).get("LastError", "")

        assert wait_for(processed, timeout=10)
        # Waiting clients are bounded: past the limit, `next` is refused at once.
        sockets = []
        for _ in range(64):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(f"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            sockets.append(s)
        time.sleep(0.5)
        status, _, body = raw(port, "GET", "/2018-06-01/runtime/invocation/next", {})
        assert status == 429 and b"TooManyRequestsException" in body
        for s in sockets:
            s.close()
        time.sleep(0.5)
        # Their places are free again: a new poll waits (and is answered when the server stops).
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(f"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        with pytest.raises(socket.timeout):
            s.recv(100)
        s.close()
    finally:
        server.stop()


def test_runtime_api_refuses_bodies_too_large_or_too_slow_and_records_nothing():
    port = free_port()
    server = triggers_server(f"""
Functions:
  rt:
    RuntimeApi: {port}
    Timeout: 30
EventSourceMappings:
  - FunctionName: rt
    Table: Slowly
    StartingPosition: TRIM_HORIZON
    MaximumRetryAttempts: 0
""", env={"SHOAL_TEST_BODY_TIMEOUT": "1"})
    try:
        ddb, _, _ = clients(server)
        stream_table(ddb, "Slowly")
        ddb.put_item(TableName="Slowly", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        status, headers, _ = raw(port, "GET", "/2018-06-01/runtime/invocation/next", {})
        assert status == 200
        request_id = headers["lambda-runtime-aws-request-id"]
        path = f"/2018-06-01/runtime/invocation/{request_id}/response"
        # A response body that never finishes: 408 on the Runtime API's port too, nothing recorded.
        slow = socket.create_connection(("127.0.0.1", port), timeout=5)
        slow.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 100\r\n\r\n").encode() + b'{"partial": ')
        answer = slow.recv(65536)
        slow.close()
        assert answer.startswith(b"HTTP/1.1 408") and b"RequestTimeout" in answer
        # Past Lambda's 6 MB payload limit: 413, nothing recorded.
        status, _, body = raw(port, "POST", path, {}, b"x" * ((6 << 20) + 1))
        assert status == 413 and b"RequestEntityTooLarge" in body
        # The invocation is still the runtime's to answer: its answer is taken.
        status, _, _ = raw(port, "POST", path, {}, b'{"ok": true}')
        assert status == 202

        def processed():
            with urllib.request.urlopen(server.endpoint + "/2015-03-31/event-source-mappings/", timeout=10) as response:
                return json.loads(response.read())["EventSourceMappings"][0]["LastProcessingResult"] == "OK"

        assert wait_for(processed, timeout=10)
    finally:
        server.stop()


# MARK: 6. Memory and descriptors a client can pin


def wait_closed(sock, within):
    """Whether the server closes the connection within `within` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(65536) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_half_sent_requests_are_cut_off_and_connections_are_bounded(mode):
    server = Server(*auth_args(mode), "--max-connections", "16",
                    env={"SHOAL_TEST_HEADER_TIMEOUT": "1", "SHOAL_TEST_BODY_TIMEOUT": "1"})
    try:
        ddb, _, _ = clients(server)
        ddb.create_table(TableName="Slow", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}])
        ddb.put_item(TableName="Slow", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        # Headers that never finish: the connection is closed after the header deadline.
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-Slow: ".encode())
        assert wait_closed(slow, 5)
        slow.close()
        # A connection that sends nothing at all is closed too.
        silent = socket.create_connection(("127.0.0.1", server.port))
        assert wait_closed(silent, 5)
        silent.close()
        # A body that never finishes: 408, and the request does nothing.
        if mode == "none":
            body = json.dumps({"TableName": "Slow", "Item": {"pk": {"S": "late"}, "sk": {"N": "1"}}}).encode()
            partial = socket.create_connection(("127.0.0.1", server.port))
            partial.sendall((f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
                             f"X-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body[:10])
            partial.settimeout(5)
            answer = partial.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408") and b"RequestTimeoutException" in answer
            partial.close()
            assert "Item" not in ddb.get_item(TableName="Slow", Key={"pk": {"S": "late"}, "sk": {"N": "1"}})
            # A body sent in pieces that ends within the deadline is served; the same connection
            # then serves a second request.
            body = json.dumps({"TableName": "Slow", "Item": {"pk": {"S": "pieces"}, "sk": {"N": "1"}}}).encode()
            head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
                    f"X-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            pieces = socket.create_connection(("127.0.0.1", server.port))
            pieces.settimeout(5)
            pieces.sendall(head + body[:10])
            time.sleep(0.25)
            pieces.sendall(body[10:20])
            time.sleep(0.25)
            pieces.sendall(body[20:])
            assert pieces.recv(65536).startswith(b"HTTP/1.1 200")
            pieces.sendall(head + body)
            assert pieces.recv(65536).startswith(b"HTTP/1.1 200")
            pieces.close()
            assert ddb.get_item(TableName="Slow", Key={"pk": {"S": "pieces"}, "sk": {"N": "1"}})["Item"]["pk"] == {"S": "pieces"}
        # Past --max-connections a connection is closed at once; the places come back.
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(16)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", server.port))
        assert wait_closed(extra, 0.5)
        extra.close()
        for s in held:
            s.close()
        time.sleep(0.3)
        still_serving(ddb, "Slow", ["a"])
    finally:
        server.stop()
