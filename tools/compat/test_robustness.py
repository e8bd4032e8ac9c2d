"""Hostile and malformed requests against a real `shoal serve`, with and without SigV4: each gets a
4xx (or DynamoDB's documented answer), never a 500 for bad input, and the server stays up with
every acknowledged write intact."""
import json
import socket
import uuid

import pytest

from conftest import Server
from wire import send

OPERATIONS = {
    "CreateTable": ["TableName", "KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput", "Tags",
                    "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"],
    "DeleteTable": ["TableName"], "DescribeTable": ["TableName"], "ListTables": ["ExclusiveStartTableName", "Limit"],
    "UpdateTable": ["TableName", "BillingMode", "ProvisionedThroughput"],
    "PutItem": ["TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "Expected",
                "ConditionalOperator", "ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics",
                "ReturnValuesOnConditionCheckFailure"],
    "GetItem": ["TableName", "Key", "ProjectionExpression", "ExpressionAttributeNames", "AttributesToGet", "ConsistentRead",
                "ReturnConsumedCapacity"],
    "UpdateItem": ["TableName", "Key", "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
                   "AttributeUpdates", "Expected", "ConditionalOperator", "ReturnValues", "ReturnConsumedCapacity"],
    "DeleteItem": ["TableName", "Key", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "Expected",
                   "ConditionalOperator", "ReturnValues", "ReturnConsumedCapacity"],
    "Query": ["TableName", "IndexName", "KeyConditionExpression", "KeyConditions", "FilterExpression", "QueryFilter", "ProjectionExpression",
              "AttributesToGet", "ExpressionAttributeNames", "ExpressionAttributeValues", "ConditionalOperator", "Limit", "ExclusiveStartKey",
              "ScanIndexForward", "Select", "ConsistentRead", "ReturnConsumedCapacity"],
    "Scan": ["TableName", "IndexName", "FilterExpression", "ScanFilter", "ProjectionExpression", "AttributesToGet", "ExpressionAttributeNames",
             "ExpressionAttributeValues", "ConditionalOperator", "Limit", "ExclusiveStartKey", "Segment", "TotalSegments", "Select",
             "ConsistentRead", "ReturnConsumedCapacity"],
    "BatchGetItem": ["RequestItems", "ReturnConsumedCapacity"],
    "BatchWriteItem": ["RequestItems", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"],
    "TagResource": ["ResourceArn", "Tags"], "UntagResource": ["ResourceArn", "TagKeys"], "ListTagsOfResource": ["ResourceArn", "NextToken"],
    "DescribeTimeToLive": ["TableName"], "DescribeContinuousBackups": ["TableName"],
    "ExecuteStatement": ["Statement", "Parameters", "ConsistentRead", "NextToken", "Limit", "ReturnConsumedCapacity",
                         "ReturnValuesOnConditionCheckFailure"],
    "BatchExecuteStatement": ["Statements", "ReturnConsumedCapacity"],
    "ExecuteTransaction": ["TransactStatements", "ClientRequestToken", "ReturnConsumedCapacity"],
}
WRONG = [7, -1, 1e308, "text", True, [], [1, "x"], {}, {"S": "x"}, None]


@pytest.fixture(scope="module", params=["none", "sigv4"])
def target(request, server, sigv4_server):
    """(server, sign?, table) for each auth mode, with a table holding acknowledged writes."""
    s = server if request.param == "none" else sigv4_server
    sign = request.param == "sigv4"
    table = "robust_" + uuid.uuid4().hex[:8]
    status, _, body = send(s, "CreateTable", {
        "TableName": table, "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "c", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST"}, sign=sign)
    assert status == 200, body
    acknowledged = []
    for i in range(20):
        status, _, _ = send(s, "PutItem", {"TableName": table, "Item": {"p": {"S": "kept"}, "c": {"N": str(i)}}}, sign=sign)
        assert status == 200
        acknowledged.append(i)
    yield s, sign, table
    # The server is up and every acknowledged write is there.
    status, _, body = send(s, "Query", {"TableName": table, "KeyConditionExpression": "p = :p",
                                        "ExpressionAttributeValues": {":p": {"S": "kept"}}}, sign=sign)
    assert status == 200
    assert sorted(int(item["c"]["N"]) for item in json.loads(body)["Items"]) == acknowledged
    send(s, "DeleteTable", {"TableName": table}, sign=sign)


def answered_4xx(status, body):
    assert 400 <= status < 500, (status, body[:300])
    assert json.loads(body)["__type"]


def raw_exchange(server, payload, timeout=10):
    """Sends raw bytes; returns the status code the server answered, or None if it closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(payload)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data.split(b" ", 2)[1])


def still_up(server):
    status, _, _ = send(server, None, b"", method="GET")
    assert status == 200


@pytest.mark.parametrize("payload", [
    b"GARBAGE\r\n\r\n", b"POST / HTTP/9.9\r\nHost: x\r\n\r\n", b"POST\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    b"POST /" + b"u" * 200_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
])
def test_malformed_http(target, payload):
    server, _, _ = target
    status = raw_exchange(server, payload)
    assert status is None or 400 <= status < 500, status
    still_up(server)


def test_truncated_body_writes_nothing(target):
    server, _, table = target
    body = json.dumps({"TableName": table, "Item": {"p": {"S": "truncated"}, "c": {"N": "1"}}}).encode()
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: {len(body) + 100}\r\n\r\n").encode()
    raw_exchange(server, head + body, timeout=3)
    status, _, response = send(server, "GetItem", {"TableName": table, "Key": {"p": {"S": "truncated"}, "c": {"N": "1"}}}, sign=target[1])
    assert status == 200 and "Item" not in json.loads(response)


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"TableName":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
    b'{"Limit": 1' + b"0" * 100_000 + b"}",
    b'{"TableName": "\xff\xfe"}',
    b'{"TableName": "a\xed\xa0\x80b"}',
    b'{"TableName": "x", "TableName": 5}',
    b'{"TableName": "\\ud800"}',
    b"\xef\xbb\xbf{}",
])
def test_hostile_json(target, body):
    server, sign, _ = target
    status, _, response = send(server, "DescribeTable", body, sign=sign)
    answered_4xx(status, response)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_wrong_json_types_for_every_member(target, operation):
    server, sign, table = target
    for member in OPERATIONS[operation]:
        for wrong in WRONG:
            body = {"TableName": table, member: wrong} if member != "TableName" else {member: wrong}
            status, _, response = send(server, operation, body, sign=sign)
            if status == 200:
                continue  # the value happened to be acceptable (ListTables with Limit 7, say)
            answered_4xx(status, response)


def test_absurd_numbers_and_indexes(target):
    server, sign, table = target
    key = {"p": {"S": "kept"}, "c": {"N": "0"}}
    cases = [
        ("Query", {"TableName": table, "KeyConditionExpression": "p = :p", "ExpressionAttributeValues": {":p": {"S": "kept"}}, "Limit": limit})
        for limit in (0, -1, 2 ** 63, 2 ** 64, 10 ** 100, 1.5, -(2 ** 63))
    ] + [
        ("Scan", {"TableName": table, "Segment": segment, "TotalSegments": total})
        for segment, total in ((0, 0), (-1, 4), (5, 4), (0, 1_000_001), (2 ** 62, 2 ** 63), (0, 2 ** 31))
    ] + [
        ("GetItem", {"TableName": table, "Key": key, "ProjectionExpression": expression})
        for expression in ("a[4294967296]", "a[2147483648]", "a[" + "9" * 400 + "]", "a" + ".b" * 40, "a" + "[0]" * 40)
    ] + [
        ("UpdateItem", {"TableName": table, "Key": key, "UpdateExpression": "SET a[4294967296] = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}),
        ("PutItem", {"TableName": table, "Item": {**key, "n": {"N": "1e99999999999999999999"}}}),
        ("PutItem", {"TableName": table, "Item": {**key, "n": {"N": "9" * 100_000}}}),
    ]
    for operation, body in cases:
        status, _, response = send(server, operation, body, sign=sign)
        if status != 200:
            answered_4xx(status, response)


def test_thousands_of_legacy_conditions(target):
    server, sign, table = target
    key = {"p": {"S": "legacy"}, "c": {"N": "1"}}
    expected = {f"a{i}": {"Exists": False} for i in range(30_000)}
    status, _, response = send(server, "PutItem", {"TableName": table, "Item": key, "Expected": expected}, sign=sign)
    assert status == 200, response
    many = {f"a{i}": {"ComparisonOperator": "NULL"} for i in range(10_000)}
    status, _, response = send(server, "Query", {"TableName": table, "KeyConditions": {
        "p": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "legacy"}]}}, "QueryFilter": many}, sign=sign)
    assert status == 200 and json.loads(response)["Count"] == 1
    status, _, response = send(server, "Scan", {"TableName": table, "ScanFilter": many, "ConditionalOperator": "OR"}, sign=sign)
    assert status == 200
    updates = {f"u{i}": {"Action": "PUT", "Value": {"N": str(i)}} for i in range(5_000)}
    status, _, response = send(server, "UpdateItem", {"TableName": table, "Key": key, "AttributeUpdates": updates}, sign=sign)
    assert status == 200, response
    send(server, "DeleteItem", {"TableName": table, "Key": key}, sign=sign)


def test_deep_items_and_expressions(target):
    server, sign, table = target
    value = {"S": "leaf"}
    for _ in range(400):
        value = {"L": [value]}
    status, _, response = send(server, "PutItem", {"TableName": table, "Item": {"p": {"S": "deep"}, "c": {"N": "1"}, "v": value}}, sign=sign)
    answered_4xx(status, response)
    for expression in ("(" * 2000 + "a = :v" + ")" * 2000, "NOT " * 1000 + "a = :v", " AND ".join(["a = :v"] * 600),
                       "a IN (" + ", ".join([":v"] * 500) + ")"):
        status, _, response = send(server, "PutItem", {"TableName": table, "Item": {"p": {"S": "deep"}, "c": {"N": "1"}},
                                                       "ConditionExpression": expression,
                                                       "ExpressionAttributeValues": {":v": {"N": "1"}}}, sign=sign)
        answered_4xx(status, response)
