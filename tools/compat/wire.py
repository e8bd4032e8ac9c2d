"""Raw HTTP helpers for tests that need exact bytes on the wire (multiple header lines, odd bodies)."""
import http.client
import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCESS_KEY, SECRET_KEY


def send(server, target, body, headers=(), path="/", method="POST", sign=False, signed_extra=()):
    """Sends one request; `headers` is a list of (name, value) so a name may repeat.
    Returns (status, {lower-case name: value}, body bytes)."""
    data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
    lines = [("Host", f"127.0.0.1:{server.port}"), ("Content-Type", "application/x-amz-json-1.0")]
    if target:
        lines.append(("X-Amz-Target", f"DynamoDB_20120810.{target}"))
    if sign:
        request = AWSRequest(method=method, url=server.endpoint + path, data=data, headers=dict(lines + list(signed_extra)))
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", "us-east-1").add_auth(request)
        lines = [(k, v) for k, v in request.headers.items() if k.lower() not in {n.lower() for n, _ in signed_extra}]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in lines + list(headers):
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data)
    response = connection.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    connection.close()
    return result


def error_type(body):
    return json.loads(body)["__type"].split("#")[-1]
