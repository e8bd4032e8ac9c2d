"""--auth sigv4: signed requests pass; unsigned, unknown, forged or stale ones never touch data."""
import datetime
import json
import urllib.error
import urllib.request
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, client_config, error_code


def client(server, key=ACCESS_KEY, secret=SECRET_KEY, region="ap-south-1"):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret, config=client_config())


def test_signed_requests_work(sigv4_server):
    ddb = client(sigv4_server)
    created = ddb.create_table(TableName="signed", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert created["TableDescription"]["TableArn"].startswith("arn:aws:dynamodb:ap-south-1:")
    ddb.put_item(TableName="signed", Item={"k": {"S": "v"}})
    assert ddb.get_item(TableName="signed", Key={"k": {"S": "v"}})["Item"] == {"k": {"S": "v"}}


def test_unknown_key_and_wrong_secret(sigv4_server):
    with pytest.raises(ClientError) as e:
        client(sigv4_server, key="AKIDUNKNOWN").list_tables()
    assert error_code(e) == "UnrecognizedClientException"
    with pytest.raises(ClientError) as e:
        client(sigv4_server, secret="wrong").put_item(TableName="signed", Item={"k": {"S": "forged"}})
    assert error_code(e) == "InvalidSignatureException"
    assert "Item" not in client(sigv4_server).get_item(TableName="signed", Key={"k": {"S": "forged"}})


def raw(server, headers, body):
    request = urllib.request.Request(server.endpoint + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def signed_headers(server, body, when=None, tamper=None):
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutItem"})
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", "us-east-1")
    if when:
        # Sign as of another time, as a client with a wrong clock (or a replayed request) would.
        with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            signer.add_auth(request)
    else:
        signer.add_auth(request)
    headers = dict(request.headers.items())
    return headers


def test_missing_stale_and_tampered(sigv4_server):
    body = json.dumps({"TableName": "signed", "Item": {"k": {"S": "sneaky"}}}).encode()
    status, error = raw(sigv4_server, {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutItem"}, body)
    assert status == 400 and error["__type"].endswith("#MissingAuthenticationTokenException")

    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, error = raw(sigv4_server, signed_headers(sigv4_server, body, when=old), body)
    assert status == 400 and error["__type"].endswith("#InvalidSignatureException")
    assert error["message"].startswith("Signature expired")

    headers = signed_headers(sigv4_server, body)
    tampered = body.replace(b"sneaky", b"sneakz")
    status, error = raw(sigv4_server, headers, tampered)
    assert status == 400 and error["__type"].endswith("#InvalidSignatureException")

    status, _ = raw(sigv4_server, signed_headers(sigv4_server, body), body)
    assert status == 200
    got = client(sigv4_server).get_item(TableName="signed", Key={"k": {"S": "sneakz"}})
    assert "Item" not in got


def test_16_authorization_parts_separated_by_spaces_only(sigv4_server):
    body = json.dumps({"TableName": "signed", "Item": {"k": {"S": "spaces"}}}).encode()
    headers = signed_headers(sigv4_server, body)
    headers["Authorization"] = headers["Authorization"].replace(", ", " ")
    status, _ = raw(sigv4_server, headers, body)
    assert status == 200
    assert "Item" in client(sigv4_server).get_item(TableName="signed", Key={"k": {"S": "spaces"}})


@pytest.mark.parametrize("date,message", [("20170101T010101Z", "Signature expired"), ("30200101T010101Z", "Signature not yet current")])
def test_17_the_date_is_checked_first(sigv4_server, date, message):
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables", "X-Amz-Date": date,
               "Authorization": "AWS4-HMAC-SHA256 Credential=nobody/2/3/4/aws4_request, SignedHeaders=x-amz-date;host, Signature=123"}
    status, error = raw(sigv4_server, headers, b"{}")
    assert status == 400 and error["__type"].endswith("#InvalidSignatureException")
    assert message in error["message"]
