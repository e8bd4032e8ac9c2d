"""DynamoDB's HTTP behaviour (shared/dynamodb-behaviour.md, points 1-18), checked on the wire."""
import gzip
import json
import uuid
import zlib

import pytest

from wire import error_type, send


@pytest.fixture(scope="module")
def table(server):
    name = "http_" + uuid.uuid4().hex[:8]
    status, _, _ = send(server, "CreateTable", {
        "TableName": name, "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})
    assert status == 200
    yield name
    send(server, "DeleteTable", {"TableName": name})


def put_body(table, key, **extra):
    return json.dumps({"TableName": table, "Item": {"k": {"S": key}, **extra}}).encode()


def stored(server, table, key):
    status, _, body = send(server, "GetItem", {"TableName": table, "Key": {"k": {"S": key}}})
    assert status == 200
    return "Item" in json.loads(body)


def test_1_deflate_request_bodies_are_zlib(server, table):
    status, _, _ = send(server, "PutItem", zlib.compress(put_body(table, "z1")), [("Content-Encoding", "deflate")])
    assert status == 200 and stored(server, table, "z1")
    twice = zlib.compress(put_body(table, "z2")) + zlib.compress(b"{}")
    status, _, _ = send(server, "PutItem", twice, [("Content-Encoding", "deflate")])
    assert status == 500 and not stored(server, table, "z2")


def test_2_multi_member_gzip(server, table):
    body = put_body(table, "g1")
    status, _, _ = send(server, "PutItem", gzip.compress(body[:10]) + gzip.compress(body[10:]), [("Content-Encoding", "gzip")])
    assert status == 200 and stored(server, table, "g1")


@pytest.mark.parametrize("coding,mangle", [
    ("garbage", lambda b: b), ("gzip", lambda b: b), ("deflate", lambda b: b), ("gzip", lambda b: b""), ("deflate", lambda b: b""),
    ("gzip", lambda b: gzip.compress(b)[:-1]),
])
def test_3_4_undecodable_bodies_are_500_and_write_nothing(server, table, coding, mangle):
    key = "bad-" + uuid.uuid4().hex[:6]
    status, _, body = send(server, "PutItem", mangle(put_body(table, key)), [("Content-Encoding", coding)])
    assert status == 500, body
    assert not stored(server, table, key)


def test_5_size_limit_applies_to_the_decompressed_body(server, table):
    padding = "x" * (20 * 1024 * 1024)
    body = gzip.compress(put_body(table, "bomb", pad={"S": padding}))
    assert len(body) < 100_000
    status, _, _ = send(server, "PutItem", body, [("Content-Encoding", "gzip")])
    assert status in (413, 500)
    assert not stored(server, table, "bomb")


def get(server, table, key, accept_lines):
    return send(server, "GetItem", {"TableName": table, "Key": {"k": {"S": key}}}, [("Accept-Encoding", v) for v in accept_lines])


def test_7_8_compression_threshold_and_zlib_deflate(server, table):
    send(server, "PutItem", put_body(table, "small", v={"S": "s" * 2030}))
    send(server, "PutItem", put_body(table, "large", v={"S": "l" * 6000}))
    send(server, "PutItem", put_body(table, "huge", v={"S": "h" * 200_000}))
    status, headers, body = get(server, table, "small", ["gzip"])
    assert status == 200 and "content-encoding" not in headers and 2000 < len(body) <= 4096
    status, headers, body = get(server, table, "large", ["gzip"])
    assert headers["content-encoding"] == "gzip" and len(body) * 30 < 6000
    assert json.loads(gzip.decompress(body))["Item"]["v"]["S"] == "l" * 6000
    for key, size in (("large", 6000), ("huge", 200_000)):
        status, headers, body = get(server, table, key, ["deflate"])
        assert headers["content-encoding"] == "deflate"
        assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
        assert len(json.loads(zlib.decompress(body))["Item"]["v"]["S"]) == size
    status, headers, _ = get(server, table, "large", [])
    assert "content-encoding" not in headers
    keys = [{"k": {"S": k}} for k in ("large", "huge")]
    status, headers, body = send(server, "BatchGetItem", {"RequestItems": {table: {"Keys": keys}}}, [("Accept-Encoding", "deflate")])
    assert headers["content-encoding"] == "deflate" and len(json.loads(zlib.decompress(body))["Responses"][table]) == 2


@pytest.mark.parametrize("value,expected", [
    ("identity", None), ("x-gzip", None), ("gzip ;q=0", None), ("*;q=0", None), ('"gzip"', None), ("gzip;nq=0;q=1", None),
    ("dog, gzip ,, cat", "gzip"), ("*", "gzip"), ("gzip;q=31,deflate;q=51", "gzip"), ("deflate;q=0.5,gzip;q=0.x", "gzip"),
    ("br, identity, deflate, gzip", "deflate"), ("*, gzip;q=0.5", "deflate"), ("deflate;q=0.5,gzip;q=0.", "deflate"),
])
def test_9_accept_encoding_choice(server, table, value, expected):
    send(server, "PutItem", put_body(table, "large", v={"S": "l" * 6000}))
    _, headers, _ = get(server, table, "large", [value])
    assert headers.get("content-encoding") == expected


def test_10_only_the_first_accept_encoding_line_counts(server, table):
    send(server, "PutItem", put_body(table, "large", v={"S": "l" * 6000}))
    assert get(server, table, "large", ["gzip"])[1].get("content-encoding") == "gzip"
    assert get(server, table, "large", ["gzip", "identity"])[1].get("content-encoding") == "gzip"
    assert "content-encoding" not in get(server, table, "large", ["identity", "gzip"])[1]


def test_10_signed_accept_encoding_lines(sigv4_server):
    body = {"TableName": "nothing"}
    status, _, response = send(sigv4_server, "DescribeTable", body, [("Accept-Encoding", "gzip")], sign=True,
                               signed_extra=[("Accept-Encoding", "identity")])
    assert status == 400 and "signature" in json.loads(response)["message"]
    status, _, response = send(sigv4_server, "DescribeTable", body, [("Accept-Encoding", "gzip"), ("Accept-Encoding", "identity")],
                               sign=True, signed_extra=[("Accept-Encoding", "gzip,identity")])
    assert error_type(response) == "ResourceNotFoundException"


def test_11_12_header_and_request_line_limits(sigv4_server):
    status, _, _ = send(sigv4_server, "ListTables", {}, sign=True)
    assert status == 200
    status, _, _ = send(sigv4_server, "ListTables", {}, [("X-Pad-One", "a" * 8192), ("X-Pad-Two", "b" * 8192)], sign=True)
    assert status == 400
    status, _, _ = send(sigv4_server, "ListTables", {}, [("X-Pad-One", "a" * 100)], sign=True)
    assert status == 200
    status, _, body = send(sigv4_server, "ListTables", {}, path="/" + "p" * 17_000, sign=True)
    assert status == 400 and b"InvalidSignatureException" not in body


def test_13_tag_operations_answer_with_an_empty_body(server, table):
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}"
    status, _, body = send(server, "TagResource", {"ResourceArn": arn, "Tags": [{"Key": "a", "Value": "b"}]})
    assert status == 200 and body == b""
    status, _, body = send(server, "UntagResource", {"ResourceArn": arn, "TagKeys": ["a"]})
    assert status == 200 and body == b""


def test_18_serialization_errors_end_with_the_offset(server):
    status, _, body = send(server, "ListTables", b"{broken json")
    error = json.loads(body)
    assert status == 400 and error["__type"].endswith("SerializationException")
    assert error["message"].endswith("at 1")
