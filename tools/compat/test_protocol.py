"""The wire protocol itself, with raw HTTP: what SDKs and browsers depend on."""
import gzip
import json
import urllib.error
import urllib.request
import zlib


def post(server, target, body, headers=None, raw=False):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.endpoint + "/", data=data, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", **({"X-Amz-Target": target} if target else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_health_and_other_paths(server):
    with urllib.request.urlopen(server.endpoint + "/") as response:
        assert response.status == 200
        assert response.read().decode().startswith(f"healthy: 127.0.0.1:{server.port}")
        assert response.headers["Server"] == "Shoal"
        assert response.headers["Date"]
    try:
        urllib.request.urlopen(server.endpoint + "/nope")
        assert False, "expected a 4xx"
    except urllib.error.HTTPError as e:
        assert 400 <= e.code < 500


def test_crc32_and_request_id(server):
    status, headers, body = post(server, "DynamoDB_20120810.ListTables", {})
    assert status == 200
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert len(headers["x-amzn-RequestId"]) >= 32
    assert "TableNames" in json.loads(body)


def test_error_shapes(server):
    status, _, body = post(server, "DynamoDB_20120810.NoSuchOperation", {})
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazon.coral.service#UnknownOperationException"
    status, _, body = post(server, None, {})
    assert status == 400 and json.loads(body)["__type"] == "com.amazon.coral.service#UnknownOperationException"
    status, _, body = post(server, "DynamoDB_20120810.ListTables", b"{not json")
    assert status == 400 and json.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"
    status, _, body = post(server, "DynamoDB_20120810.DescribeTable", {"TableName": 5})
    assert status == 400 and json.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"
    status, _, body = post(server, "DynamoDB_20120810.DescribeTable", {"TableName": "missing_table"})
    error = json.loads(body)
    assert status == 400
    assert error["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    assert error["message"] == "Requested resource not found: Table: missing_table not found"
    status, _, body = post(server, "DynamoDB_20120810.DescribeTable", {})
    assert json.loads(body)["message"] == "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"


def test_body_limits_and_compression(server):
    big = b'{"TableName": "' + b"x" * (16 * 1024 * 1024) + b'"}'
    status, _, _ = post(server, "DynamoDB_20120810.DescribeTable", big)
    assert status == 413
    status, _, body = post(server, "DynamoDB_20120810.ListTables", gzip.compress(b'{"Limit": 1}'), headers={"Content-Encoding": "gzip"})
    assert status == 200 and "TableNames" in json.loads(body)
    # A large response is compressed when the client accepts gzip; the checksum covers the bytes sent.
    name = "gz_table_" + str(server.port)
    post(server, "DynamoDB_20120810.CreateTable", {
        "TableName": name, "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})
    post(server, "DynamoDB_20120810.PutItem", {"TableName": name, "Item": {"k": {"S": "a"}, "v": {"S": "z" * 5000}}})
    status, headers, body = post(server, "DynamoDB_20120810.GetItem", {"TableName": name, "Key": {"k": {"S": "a"}}},
                                 headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert json.loads(gzip.decompress(body))["Item"]["v"]["S"] == "z" * 5000
    post(server, "DynamoDB_20120810.DeleteTable", {"TableName": name})


def test_json_1_1_content_type(server):
    status, headers, body = post(server, "DynamoDB_20120810.ListTables", {},
                                 headers={"Content-Type": "application/x-amz-json-1.1"})
    assert status == 200 and headers["Content-Type"] == "application/x-amz-json-1.1"
