"""The web console's HTTP side against a real `shoal serve`: headers and caching, the gate in front
of its API (header, origin, session, CSRF), sessions under sigv4, --console off, --base-path, the
live stream's Server-Sent Events and shutdown with a stream open."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import boto3
import pytest

from conftest import ACCESS_KEY, SECRET_KEY, Server, client_config, shoal_binary


def fetch(url, method="GET", headers=None, body=None):
    """(status, headers, body) of one request; errors are answers too."""
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def console_call(server, operation, body=None, headers=None, cookie=None, csrf=None, origin=True, base=""):
    all_headers = {"X-Shoal-Console": "1", "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"}
    if origin:
        all_headers["Origin"] = server.endpoint
    if cookie:
        all_headers["Cookie"] = cookie
    if csrf:
        all_headers["X-Shoal-CSRF"] = csrf
    all_headers.update(headers or {})
    status, answer_headers, data = fetch(f"{server.endpoint}{base}/console/api/dynamodb", "POST", all_headers, json.dumps(body or {}).encode())
    try:
        return status, json.loads(data) if data else {}
    except ValueError:
        return status, {"text": data.decode()}


def asset_paths(page):
    return re.findall(r'(?:src|href)="([^"]+/assets/[0-9a-f]+/[^"]+)"', page)


def test_pages_carry_a_strict_policy_and_cache_headers(server):
    status, headers, page = fetch(server.endpoint + "/console/")
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-cache"
    tag = headers["ETag"]
    assert fetch(server.endpoint + "/console/", headers={"If-None-Match": tag})[0] == 304
    assets = asset_paths(page.decode())
    assert any(path.endswith("/app.js") for path in assets) and any(path.endswith("/console.css") for path in assets)
    for path in assets:
        status, headers, _ = fetch(server.endpoint + path)
        assert status == 200, path
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, headers, _ = fetch(server.endpoint + "/console")
    assert status == 308 and headers["Location"] == "/console/"
    assert fetch(server.endpoint + "/console/assets/0000/nothing.js")[0] == 404
    # A module from an older version's path is answered, uncached.
    status, headers, _ = fetch(server.endpoint + "/console/assets/0000/app.js")
    assert status == 200 and headers["Cache-Control"] == "no-store"


def test_the_gate_admits_only_the_consoles_own_requests(server):
    assert console_call(server, "ListTables")[0] == 200
    # Without the console's header (what a form or a simple cross-site request sends).
    status, _, body = fetch(server.endpoint + "/console/api/dynamodb", "POST",
                            {"Origin": server.endpoint, "X-Amz-Target": "DynamoDB_20120810.ListTables"}, b"{}")
    assert status == 403 and b"X-Shoal-Console" in body
    # From a page of another origin: the front door refuses before anything runs.
    status, _ = console_call(server, "ListTables", headers={"Origin": "http://evil.example"}, origin=False)
    assert status == 403
    # Another port of the same host is another origin (and the same site for cookies).
    other = server.endpoint.rsplit(":", 1)[0] + ":1"
    assert console_call(server, "ListTables", headers={"Origin": other}, origin=False)[0] == 403
    # A change without an Origin, or a browser saying the request crossed sites.
    assert console_call(server, "ListTables", origin=False)[0] == 403
    assert console_call(server, "ListTables", headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    # The preflight of a cross-origin page is refused too.
    status, headers, _ = fetch(server.endpoint + "/console/api/dynamodb", "OPTIONS",
                               {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
                                "Access-Control-Request-Headers": "x-shoal-console"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    # Same-origin requests to DynamoDB's own endpoint pass too (no CORS needed), foreign ones do not.
    ok = fetch(server.endpoint + "/", "POST", {"Origin": server.endpoint, "X-Amz-Target": "DynamoDB_20120810.ListTables",
                                              "Content-Type": "application/x-amz-json-1.0"}, b"{}")
    assert ok[0] == 200 and "Access-Control-Allow-Origin" not in ok[1]
    assert fetch(server.endpoint + "/", "POST", {"Origin": "http://evil.example", "X-Amz-Target": "DynamoDB_20120810.ListTables"}, b"{}")[0] == 403


def test_console_calls_answer_as_dynamodb_does(server, ddb, music):
    ddb.put_item(TableName=music, Item={"Artist": {"S": "A"}, "Song": {"S": "s"}, "Year": {"N": "1999"}})
    status, answer = console_call(server, "GetItem", {"TableName": music, "Key": {"Artist": {"S": "A"}, "Song": {"S": "s"}}})
    assert status == 200 and answer["Item"]["Year"] == {"N": "1999"}
    status, answer = console_call(server, "PutItem", {"TableName": music, "Item": {"Artist": {"S": "A"}, "Song": {"S": "s"}},
                                                      "ConditionExpression": "attribute_not_exists(Artist)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert status == 400 and answer["__type"].endswith("ConditionalCheckFailedException")
    assert answer["Item"]["Year"] == {"N": "1999"}
    status, answer = console_call(server, "NoSuchOperation")
    assert status == 400 and "UnknownOperationException" in answer["__type"]
    status, _, data = fetch(server.endpoint + "/console/api/metrics", headers={"X-Shoal-Console": "1"})
    figures = json.loads(data)
    assert status == 200 and figures["WindowSeconds"] == 900
    assert any("GetItem" in bucket["Operations"] for bucket in figures["Requests"])
    status, _, data = fetch(server.endpoint + "/console/api/functions", headers={"X-Shoal-Console": "1"})
    assert status == 200 and json.loads(data) == {"Functions": []}
    status, _, data = fetch(server.endpoint + "/console/api/lambda/2015-03-31/event-source-mappings/", headers={"X-Shoal-Console": "1"})
    assert status == 200 and json.loads(data)["EventSourceMappings"] == []
    assert fetch(server.endpoint + "/console/api/lambda/2015-03-31/event-source-mappings/")[0] == 403


def read_events(response, count, timeout=10):
    """The next `count` Server-Sent Events (name, data) of a streaming response."""
    events, block, deadline = [], [], time.time() + timeout
    while len(events) < count and time.time() < deadline:
        line = response.readline().decode()
        if line in ("\n", ""):
            name = next((l[7:] for l in block if l.startswith("event: ")), None)
            data = "".join(l[6:] for l in block if l.startswith("data: "))
            if name:
                events.append((name, json.loads(data)))
            block = []
            if line == "":
                break
        else:
            block.append(line.rstrip("\n"))
    return events


def watch(server, ddb, table, view_type):
    """Creates `table` with a stream and opens the console's live stream of it."""
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type})
    request = urllib.request.Request(f"{server.endpoint}/console/api/stream?table={table}", headers={"X-Shoal-Console": "1"})
    return urllib.request.urlopen(request, timeout=10)


def test_live_stream_sends_new_records(server, ddb, table_name):
    with watch(server, ddb, table_name, "NEW_AND_OLD_IMAGES") as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        (name, data), = read_events(response, 1)
        assert name == "ready" and data["StreamArn"].startswith("arn:aws:dynamodb:")
        for i in range(3):
            ddb.put_item(TableName=table_name, Item={"k": {"S": f"key{i}"}, "v": {"N": str(i)}})
        ddb.delete_item(TableName=table_name, Key={"k": {"S": "key0"}})
        seen = []
        while len(seen) < 4:
            events = read_events(response, 1)
            assert events, "no records arrived"
            name, data = events[0]
            assert name == "records"
            assert data["Seen"] == len(data["Records"])
            seen += [(r["eventName"], r["dynamodb"]["Keys"]["k"]["S"]) for r in data["Records"]]
        assert seen == [("INSERT", "key0"), ("INSERT", "key1"), ("INSERT", "key2"), ("REMOVE", "key0")]


def test_live_stream_samples_a_flood(server, ddb, table_name):
    with watch(server, ddb, table_name, "KEYS_ONLY") as response:
        read_events(response, 1)
        for start in range(0, 1000, 25):
            ddb.batch_write_item(RequestItems={table_name: [{"PutRequest": {"Item": {"k": {"S": f"k{i}"}}}} for i in range(start, start + 25)]})
        seen = sent = 0
        while seen < 1000:
            events = read_events(response, 1)
            assert events
            _, data = events[0]
            assert len(data["Records"]) <= 100
            seen += data["Seen"]
            sent += len(data["Records"])
        assert seen == 1000 and sent < 1000


def test_live_stream_refusals(server, ddb, music):
    status, _, body = fetch(f"{server.endpoint}/console/api/stream?table={music}", headers={"X-Shoal-Console": "1"})
    assert status == 400 and b"no stream enabled" in body
    assert fetch(f"{server.endpoint}/console/api/stream?table=missing_table", headers={"X-Shoal-Console": "1"})[0] == 400
    assert fetch(f"{server.endpoint}/console/api/stream", headers={"X-Shoal-Console": "1"})[0] == 400
    assert fetch(f"{server.endpoint}/console/api/stream?table={music}")[0] == 403


def test_shutdown_ends_open_streams():
    s = Server()
    try:
        ddb = boto3.client("dynamodb", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id="a",
                           aws_secret_access_key="b", config=client_config())
        response = watch(s, ddb, "Streamed", "KEYS_ONLY")
        assert read_events(response, 1)[0][0] == "ready"
        started = time.time()
        s.stop()  # asserts exit code 0 within 30 s
        assert time.time() - started < 10
        response.close()
    finally:
        if s.process.poll() is None:
            s.process.kill()


def test_console_off_and_base_path():
    off = Server("--console", "off")
    try:
        assert fetch(off.endpoint + "/console/")[0] == 404
        assert console_call(off, "ListTables")[0] == 404
    finally:
        off.stop()
    based = Server("--base-path", "/tools/shoal/")
    try:
        status, _, page = fetch(based.endpoint + "/tools/shoal/console/")
        assert status == 200
        assert all(path.startswith("/tools/shoal/console/assets/") for path in asset_paths(page.decode()))
        assert 'data-root="/tools/shoal/console"' in page.decode()
        assert fetch(based.endpoint + "/console/")[0] == 404
        assert console_call(based, "ListTables", base="/tools/shoal")[0] == 200
    finally:
        based.stop()
    result = subprocess.run([shoal_binary(), "serve", "--in-memory", "--base-path", "/../x"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "--base-path" in result.stderr


@pytest.fixture(scope="module")
def sigv4_console():
    directory = tempfile.mkdtemp(prefix="shoal-console-creds-")
    path = os.path.join(directory, "credentials")
    with open(path, "w") as f:
        f.write(f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
                "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other-secret\n"
                "principal_arn = arn:aws:iam::111122223333:user/guest\n")
    s = Server("--auth", "sigv4", "--credentials", path)
    yield s
    s.stop()
    shutil.rmtree(directory, ignore_errors=True)


def log_in(server, key, secret):
    status, headers, body = fetch(server.endpoint + "/console/api/session", "POST",
                                  {"X-Shoal-Console": "1", "Origin": server.endpoint, "Content-Type": "application/json"},
                                  json.dumps({"AccessKeyId": key, "SecretAccessKey": secret}).encode())
    return status, headers, json.loads(body)


def test_sigv4_sessions(sigv4_console):
    s = sigv4_console
    status, _, body = fetch(s.endpoint + "/console/api/session", headers={"X-Shoal-Console": "1"})
    assert status == 200 and json.loads(body) == {"Auth": "sigv4", "Authenticated": False, "Region": "us-east-1"}
    assert console_call(s, "ListTables")[0] == 401
    started = time.time()
    status, headers, body = log_in(s, ACCESS_KEY, "wrong")
    assert status == 401 and "Set-Cookie" not in headers and time.time() - started >= 0.25
    assert log_in(s, "AKIDNOBODY", SECRET_KEY)[0] == 401
    status, headers, body = log_in(s, ACCESS_KEY, SECRET_KEY)
    assert status == 200 and body["Authenticated"] is True and SECRET_KEY not in json.dumps(body)
    cookie_header = headers["Set-Cookie"]
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console/", "Max-Age=43200"]:
        assert attribute in cookie_header
    cookie = cookie_header.split(";")[0]
    csrf = body["Csrf"]
    # The session reads; a change needs the CSRF token as well.
    assert console_call(s, "ListTables", cookie=cookie)[0] == 403
    assert console_call(s, "ListTables", cookie=cookie, csrf="0" * 64)[0] == 403
    assert console_call(s, "ListTables", cookie=cookie, csrf=csrf)[0] == 200
    status, _, body = fetch(s.endpoint + "/console/api/session", headers={"X-Shoal-Console": "1", "Cookie": cookie})
    assert json.loads(body)["AccessKeyId"] == ACCESS_KEY and json.loads(body)["Csrf"] == csrf
    # A same-site page on another port sends the cookie (SameSite does not look at ports): its Origin is refused.
    other = s.endpoint.rsplit(":", 1)[0] + ":1"
    assert console_call(s, "ListTables", cookie=cookie, csrf=csrf, headers={"Origin": other}, origin=False)[0] == 403
    # The cookie is no signature: DynamoDB's endpoint still wants one.
    status, _, _ = fetch(s.endpoint + "/", "POST", {"Cookie": cookie, "X-Amz-Target": "DynamoDB_20120810.ListTables"}, b"{}")
    assert status == 400
    status, headers, _ = fetch(s.endpoint + "/console/api/session", "DELETE", {"X-Shoal-Console": "1", "Origin": s.endpoint,
                                                                                "Cookie": cookie, "X-Shoal-CSRF": csrf})
    assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
    assert console_call(s, "ListTables", cookie=cookie, csrf=csrf)[0] == 401


def test_sigv4_gives_the_console_no_cors(sigv4_console):
    """DynamoDB's endpoint answers CORS for any origin under sigv4 (a signature protects it); the
    console's paths answer none, so no other page may even send its requests."""
    s = sigv4_console
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-shoal-console,x-shoal-csrf"}
    status, headers, _ = fetch(s.endpoint + "/console/api/dynamodb", "OPTIONS", preflight)
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = fetch(s.endpoint + "/", "OPTIONS", preflight)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"


def test_sigv4_sessions_act_as_their_principal(sigv4_console):
    s = sigv4_console
    _, headers, body = log_in(s, "AKIDOTHER", "other-secret")
    cookie, csrf = headers["Set-Cookie"].split(";")[0], body["Csrf"]
    status, answer = console_call(s, "ListTables", cookie=cookie, csrf=csrf)
    assert status == 400 and answer["__type"].endswith("AccessDeniedException")
    assert "arn:aws:iam::111122223333:user/guest" in answer["message"]
    status, _, _ = fetch(s.endpoint + "/console/api/lambda/2015-03-31/event-source-mappings/", headers={"X-Shoal-Console": "1", "Cookie": cookie})
    assert status == 403


def test_functions_say_whether_a_runtime_client_polls():
    from conftest import free_port
    folder = tempfile.mkdtemp(prefix="shoal-console-functions-")
    runtime_port = free_port()
    triggers = os.path.join(folder, "triggers.yaml")
    with open(triggers, "w") as f:
        f.write(f"Functions:\n  handler:\n    RuntimeApi: 127.0.0.1:{runtime_port}\n    Timeout: 9\n"
                "  hook:\n    Webhook: http://user:pw@127.0.0.1:1/hook?token=secret\n")
    s = Server("--triggers", triggers)
    try:
        def functions():
            status, _, body = fetch(s.endpoint + "/console/api/functions", headers={"X-Shoal-Console": "1"})
            assert status == 200
            return {f["FunctionName"]: f for f in json.loads(body)["Functions"]}
        listed = functions()
        assert listed["handler"] == {"FunctionName": "handler", "Timeout": 9, "Kind": "RuntimeApi", "WaitingClients": 0}
        # A webhook's URL is shown without its user information and query.
        assert listed["hook"]["Kind"] == "Webhook" and "secret" not in listed["hook"]["Url"] and "pw" not in listed["hook"]["Url"]
        # A runtime client waiting in `next` is seen.
        poller = threading.Thread(target=lambda: fetch(f"http://127.0.0.1:{runtime_port}/2018-06-01/runtime/invocation/next"), daemon=True)
        poller.start()
        deadline = time.time() + 10
        while functions()["handler"]["WaitingClients"] != 1:
            assert time.time() < deadline, "the waiting client was not seen"
            time.sleep(0.1)
    finally:
        s.stop()
        shutil.rmtree(folder, ignore_errors=True)
