"""Security defaults: CORS and DNS-rebinding protection with --auth none, DynamoDB's CORS with SigV4."""
import http.client
import json

import pytest

from conftest import Server

CORS_HEADERS = ["Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
                "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"]


def request(server, method, headers, body=None, host=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest(method, "/", skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{server.port}")
    for name, value in headers.items():
        connection.putheader(name, value)
    data = json.dumps(body).encode() if body is not None else b""
    if method == "POST":
        connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data if method == "POST" else None)
    response = connection.getresponse()
    result = response.status, {k: v for k, v in response.getheaders()}, response.read()
    connection.close()
    return result


LIST = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}


@pytest.fixture(scope="module")
def cors_server():
    s = Server("--cors-origins", "http://app.example")
    yield s
    s.stop()


def test_default_server_refuses_web_pages_and_has_no_cors(server):
    status, headers, _ = request(server, "POST", {**LIST, "Origin": "http://evil.example"}, {})
    assert status == 403
    assert not any(h in headers for h in CORS_HEADERS)
    status, headers, _ = request(server, "OPTIONS", {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    # Clients that are not browsers send no Origin and are served.
    status, headers, body = request(server, "POST", LIST, {})
    assert status == 200 and "TableNames" in json.loads(body)
    assert not any(h in headers for h in CORS_HEADERS)


def test_dns_rebinding_is_refused(server):
    status, _, _ = request(server, "POST", LIST, {}, host=f"attacker.example:{server.port}")
    assert status == 403
    status, _, _ = request(server, "POST", LIST, {}, host=f"127.0.0.1:{server.port + 1}")
    assert status == 403
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}"):
        status, _, _ = request(server, "POST", LIST, {}, host=host)
        assert status == 200


def test_allowed_hosts():
    s = Server("--allowed-hosts", "shoal.internal")
    try:
        status, _, _ = request(s, "POST", LIST, {}, host=f"shoal.internal:{s.port}")
        assert status == 200
        status, _, _ = request(s, "POST", LIST, {}, host=f"other.internal:{s.port}")
        assert status == 403
    finally:
        s.stop()


def test_named_origins(cors_server):
    status, headers, _ = request(cors_server, "POST", {**LIST, "Origin": "http://app.example"}, {})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://app.example"
    status, headers, _ = request(cors_server, "POST", {**LIST, "Origin": "http://other.example"}, {})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers


def test_sigv4_server_answers_cors_as_dynamodb(sigv4_server):
    status, headers, _ = request(sigv4_server, "OPTIONS", {
        "Origin": "http://example.com/", "Access-Control-Request-Method": "dog",
        "Access-Control-Request-Headers": "cat, meerkat, mouse"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "dog"
    assert headers["Access-Control-Allow-Headers"] == "cat, meerkat, mouse"
    assert "Access-Control-Max-Age" in headers and "Access-Control-Expose-Headers" in headers
    for method in ("GET", "POST"):
        status, headers, _ = request(sigv4_server, method, {**LIST, "Origin": "http://example.com/"}, {} if method == "POST" else None)
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Expose-Headers" in headers
        for absent in ("Access-Control-Max-Age", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
            assert absent not in headers
    status, headers, _ = request(sigv4_server, "GET", {})
    assert status == 200 and not any(h in headers for h in CORS_HEADERS)
    # Any Host is fine with SigV4 (the signature covers it).
    status, _, _ = request(sigv4_server, "GET", {}, host="dynamodb.example:1")
    assert status == 200
