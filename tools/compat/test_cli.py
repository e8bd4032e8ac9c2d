"""The AWS CLI, run as a user would, against the server."""
import json
import os
import subprocess
import uuid

import pytest


def aws(server, *args, check=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="cli", AWS_SECRET_ACCESS_KEY="cli", AWS_DEFAULT_REGION="eu-west-1",
               AWS_MAX_ATTEMPTS="1", AWS_PAGER="")
    result = subprocess.run(["aws", "dynamodb", "--endpoint-url", server.endpoint, "--output", "json", *args],
                            capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_cli_round_trip(server):
    name = "cli_" + uuid.uuid4().hex[:8]
    created = json.loads(aws(server, "create-table", "--table-name", name,
                             "--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=Year,AttributeType=N",
                             "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=Year,KeyType=RANGE",
                             "--billing-mode", "PAY_PER_REQUEST").stdout)
    # The region is whatever the request was signed for.
    assert created["TableDescription"]["TableArn"] == f"arn:aws:dynamodb:eu-west-1:000000000000:table/{name}"
    for year in (1999, 2001, 2005):
        aws(server, "put-item", "--table-name", name,
            "--item", json.dumps({"Artist": {"S": "No One"}, "Year": {"N": str(year)}, "Title": {"S": f"t{year}"}}))
    got = json.loads(aws(server, "get-item", "--table-name", name, "--key", '{"Artist":{"S":"No One"},"Year":{"N":"2001"}}').stdout)
    assert got["Item"]["Title"] == {"S": "t2001"}
    queried = json.loads(aws(server, "query", "--table-name", name, "--key-condition-expression", "Artist = :a AND #y > :y",
                             "--expression-attribute-names", '{"#y":"Year"}',
                             "--expression-attribute-values", '{":a":{"S":"No One"},":y":{"N":"2000"}}').stdout)
    assert [i["Year"]["N"] for i in queried["Items"]] == ["2001", "2005"]
    scanned = json.loads(aws(server, "scan", "--table-name", name, "--page-size", "1").stdout)
    assert scanned["Count"] == 3
    failed = aws(server, "put-item", "--table-name", name, "--item", '{"Artist":{"S":"x"}}', check=False)
    assert failed.returncode != 0
    assert "ValidationException" in failed.stderr and "Missing the key Year in the item" in failed.stderr
    aws(server, "delete-table", "--table-name", name)
    listed = json.loads(aws(server, "list-tables").stdout)
    assert name not in listed["TableNames"]
