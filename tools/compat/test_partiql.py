"""PartiQL against a real `shoal serve`: ExecuteStatement, BatchExecuteStatement and
ExecuteTransaction through boto3 and the AWS CLI, paging, parameters, every error type, a PartiQL
write that fires a trigger and shows in the stream, and `shoal partiql`."""
import json
import os
import subprocess
import uuid

import boto3
import pytest

from conftest import error_code, error_message, shoal_binary
from test_cli import aws
from test_triggers import Receiver, clients, stream_table, triggers_server, wait_for


@pytest.fixture
def songs(ddb, music):
    for artist in ["a", "b", "c"]:
        for n in range(1, 6):
            ddb.put_item(TableName=music, Item={"Artist": {"S": artist}, "Song": {"S": f"s{n}"}, "plays": {"N": str(n * 10)}})
    return music


def keys(items):
    return [item["Artist"]["S"] + item["Song"]["S"] for item in items]


def test_select_point_query_scan_and_parameters(ddb, songs):
    one = ddb.execute_statement(Statement=f'SELECT plays FROM "{songs}" WHERE Artist = ? AND Song = ?',
                                Parameters=[{"S": "b"}, {"S": "s3"}], ReturnConsumedCapacity="TOTAL")
    assert one["Items"] == [{"plays": {"N": "30"}}]
    assert one["ConsumedCapacity"] == {"TableName": songs, "CapacityUnits": 0.5}
    part = ddb.execute_statement(Statement=f'SELECT * FROM "{songs}" WHERE Artist = \'a\' ORDER BY Song DESC')
    assert keys(part["Items"]) == ["as5", "as4", "as3", "as2", "as1"]
    several = ddb.execute_statement(Statement=f"SELECT * FROM {songs} WHERE Artist IN ['c', 'a'] AND Song BETWEEN 's2' AND 's3'")
    assert keys(several["Items"]) == ["cs2", "cs3", "as2", "as3"]
    scanned = ddb.execute_statement(Statement=f'SELECT Artist, Song FROM "{songs}" WHERE plays > 40 AND NOT Artist = \'a\'')
    assert sorted(keys(scanned["Items"])) == ["bs5", "cs5"]
    assert ddb.execute_statement(Statement=f'SELECT * FROM "{songs}" WHERE Artist = \'zz\' AND Song = \'s1\'')["Items"] == []


def test_paging_with_limit_and_next_token(ddb, songs):
    for statement in [f'SELECT * FROM "{songs}"', f'SELECT * FROM "{songs}" WHERE Artist IN [\'a\', \'b\', \'c\']']:
        seen, token, pages = [], None, 0
        while True:
            kwargs = {"NextToken": token} if token else {}
            page = ddb.execute_statement(Statement=statement, Limit=4, **kwargs)
            assert len(page["Items"]) <= 4
            seen += keys(page["Items"])
            pages += 1
            token = page.get("NextToken")
            if not token:
                break
        assert sorted(seen) == sorted(f"{a}s{n}" for a in "abc" for n in range(1, 6))
        assert pages >= 4
    first = ddb.execute_statement(Statement=f'SELECT * FROM "{songs}" WHERE Artist = \'a\'', Limit=2)
    assert first["LastEvaluatedKey"] == {"Artist": {"S": "a"}, "Song": {"S": "s2"}}
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.execute_statement(Statement=f'SELECT * FROM "{songs}" WHERE Artist = \'b\'', NextToken=first["NextToken"])
    assert error_code(e) == "ValidationException"
    # boto3's paginator follows NextToken as it does against DynamoDB.
    paginator = ddb.get_paginator("execute_statement") if ddb.can_paginate("execute_statement") else None
    if paginator:
        items = [i for p in paginator.paginate(Statement=f'SELECT * FROM "{songs}"', Limit=3) for i in p["Items"]]
        assert len(items) == 15


def test_writes_returning_and_errors(ddb, songs):
    ddb.execute_statement(Statement=f"INSERT INTO \"{songs}\" VALUE {{'Artist': 'n', 'Song': 's1', 'tags': <<'x'>>, 'count': ?}}",
                          Parameters=[{"N": "1"}])
    with pytest.raises(ddb.exceptions.DuplicateItemException) as e:
        ddb.execute_statement(Statement=f"INSERT INTO \"{songs}\" VALUE {{'Artist': 'n', 'Song': 's1'}}")
    assert error_message(e) == "Duplicate primary key exists in table"
    updated = ddb.execute_statement(
        Statement=f"UPDATE \"{songs}\" SET \"count\" = \"count\" + 2 SET tags = set_add(tags, <<'y'>>) WHERE Artist = 'n' AND Song = 's1' RETURNING ALL NEW *")
    assert updated["Items"][0]["count"] == {"N": "3"}
    assert sorted(updated["Items"][0]["tags"]["SS"]) == ["x", "y"]
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.execute_statement(Statement=f"UPDATE \"{songs}\" SET v = 1 WHERE Artist = 'n' AND Song = 's1' AND \"count\" = 100",
                              ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"]["count"] == {"N": "3"}
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.execute_statement(Statement=f"UPDATE \"{songs}\" SET v = 1 WHERE Artist = 'absent' AND Song = 's1'")
    deleted = ddb.execute_statement(Statement=f"DELETE FROM \"{songs}\" WHERE Artist = 'n' AND Song = 's1' RETURNING ALL OLD *")
    assert deleted["Items"][0]["Artist"] == {"S": "n"}
    # A write without RETURNING answers no Items at all; with it, a list (empty when nothing was there).
    assert "Items" not in ddb.execute_statement(Statement=f"DELETE FROM \"{songs}\" WHERE Artist = 'n' AND Song = 's1'")
    assert ddb.execute_statement(Statement=f"DELETE FROM \"{songs}\" WHERE Artist = 'n' AND Song = 's1' RETURNING ALL OLD *")["Items"] == []
    cases = [
        (f'SELECT * FROM "{songs}" WHERE', "ValidationException", "Statement wasn't well formed, can't be processed: "),
        (f'SLECT * FROM "{songs}"', "ValidationException", "Statement wasn't well formed, can't be processed: Expected data manipulation"),
        (f"DELETE FROM \"{songs}\".\"idx\" WHERE Artist = 'a'", "ValidationException", "This operation is not supported on an index"),
        (f'SELECT * FROM "{songs}" WHERE Artist = ?', "ValidationException", "Number of parameters in request and statement don't match."),
        (f"UPDATE \"{songs}\" SET v = 1 WHERE Artist = 'a'", "ValidationException",
         "Where clause does not contain a mandatory equality on all key attributes"),
        ('SELECT * FROM "no_such_table"', "ResourceNotFoundException", "Requested resource not found"),
    ]
    for statement, code, message in cases:
        with pytest.raises(ddb.exceptions.ClientError) as e:
            ddb.execute_statement(Statement=statement)
        assert error_code(e) == code, statement
        assert error_message(e).startswith(message), (statement, error_message(e))
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.execute_statement(Statement="SELECT * FROM t WHERE a = '" + "x" * 8200 + "'")
    assert error_code(e) == "ValidationException"


def test_batch_execute_statement(ddb, songs):
    reads = ddb.batch_execute_statement(Statements=[
        {"Statement": f'SELECT plays FROM "{songs}" WHERE Artist = ? AND Song = ?', "Parameters": [{"S": "a"}, {"S": "s1"}]},
        {"Statement": f'SELECT * FROM "{songs}" WHERE Artist = \'zz\' AND Song = \'s1\'', "ConsistentRead": True},
        {"Statement": f'SELECT * FROM "{songs}" WHERE Artist = \'a\''},
    ], ReturnConsumedCapacity="TOTAL")["Responses"]
    assert reads[0] == {"TableName": songs, "Item": {"plays": {"N": "10"}}}
    assert reads[1] == {"TableName": songs}
    assert reads[2]["Error"]["Code"] == "ValidationError"
    writes = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{songs}\" VALUE {{'Artist': 'w', 'Song': 's1'}}"},
        {"Statement": f"INSERT INTO \"{songs}\" VALUE {{'Artist': 'w', 'Song': 's1'}}"},
        {"Statement": f"UPDATE \"{songs}\" SET v = 1 WHERE Artist = 'a' AND Song = 's1' AND plays = 0",
         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
    ])["Responses"]
    assert "Error" not in writes[0]
    assert writes[1]["Error"]["Code"] == "DuplicateItem"
    assert writes[2]["Error"]["Code"] == "ConditionalCheckFailed"
    assert writes[2]["Error"]["Message"] == "The conditional request failed"
    assert writes[2]["Error"]["Item"]["plays"] == {"N": "10"}   # ALL_OLD asked
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.batch_execute_statement(Statements=[{"Statement": f'SELECT * FROM "{songs}" WHERE Artist = \'a\' AND Song = \'s1\''},
                                                {"Statement": f"DELETE FROM \"{songs}\" WHERE Artist = 'a' AND Song = 's1'"}])
    assert error_code(e) == "ValidationException"


def test_execute_transaction(ddb, songs):
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{songs}\" VALUE {{'Artist': 't', 'Song': 's1'}}"},
            {"Statement": f"EXISTS(SELECT * FROM \"{songs}\" WHERE Artist = 'a' AND Song = 's1' AND plays = 99)"},
        ])
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert ddb.execute_statement(Statement=f"SELECT * FROM \"{songs}\" WHERE Artist = 't' AND Song = 's1'")["Items"] == []
    token = uuid.uuid4().hex
    statements = [
        {"Statement": f"INSERT INTO \"{songs}\" VALUE {{'Artist': 't', 'Song': 's1'}}"},
        {"Statement": f"UPDATE \"{songs}\" SET v = ? WHERE Artist = 'b' AND Song = 's2'", "Parameters": [{"S": "yes"}]},
        {"Statement": f"EXISTS(SELECT * FROM \"{songs}\" WHERE Artist = 'a' AND Song = 's1' AND plays = 10)"},
    ]
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken=token)   # idempotent replay
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        ddb.execute_transaction(TransactStatements=statements[:1])
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["DuplicateItem"]
    read = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT v FROM \"{songs}\" WHERE Artist = 'b' AND Song = 's2'"},
        {"Statement": f"SELECT * FROM \"{songs}\" WHERE Artist = 'none' AND Song = 's2'"},
    ])
    assert read["Responses"] == [{"Item": {"v": {"S": "yes"}}}, {}]


def test_aws_cli_statements(server, songs):
    out = json.loads(aws(server, "execute-statement", "--statement", f"SELECT * FROM \"{songs}\" WHERE Artist = ?",
                         "--parameters", '[{"S": "c"}]').stdout)
    assert keys(out["Items"]) == ["cs1", "cs2", "cs3", "cs4", "cs5"]
    batch = json.loads(aws(server, "batch-execute-statement", "--statements", json.dumps([
        {"Statement": f"UPDATE \"{songs}\" SET plays = 0 WHERE Artist = 'c' AND Song = 's1'"}])).stdout)
    assert "Error" not in batch["Responses"][0]
    tx = json.loads(aws(server, "execute-transaction", "--transact-statements", json.dumps([
        {"Statement": f"SELECT plays FROM \"{songs}\" WHERE Artist = 'c' AND Song = 's1'"}])).stdout)
    assert tx["Responses"] == [{"Item": {"plays": {"N": "0"}}}]
    failed = aws(server, "execute-statement", "--statement", f"INSERT INTO \"{songs}\" VALUE {{'Artist': 'c', 'Song': 's1'}}", check=False)
    assert failed.returncode != 0 and "DuplicateItemException" in failed.stderr


def test_partiql_write_fires_a_trigger_and_appears_in_the_stream():
    hook = Receiver()
    server = triggers_server(f"""
Functions:
  audit:
    Webhook: {hook.url}
EventSourceMappings:
  - FunctionName: audit
    Table: Events
    StartingPosition: TRIM_HORIZON
""")
    try:
        ddb, _ = clients(server)
        arn = stream_table(ddb, "Events")
        ddb.execute_statement(Statement="INSERT INTO Events VALUE {'pk': 'a', 'sk': 1, 'v': 1}")
        ddb.execute_statement(Statement="UPDATE Events SET v = 2 WHERE pk = 'a' AND sk = 1")
        ddb.execute_transaction(TransactStatements=[{"Statement": "DELETE FROM Events WHERE pk = 'a' AND sk = 1"}])
        assert wait_for(lambda: len(hook.records()) == 3)
        records = hook.records()
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
        assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
        assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
        kwargs = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        streams = boto3.client("dynamodbstreams", **kwargs)
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        names = []
        for shard in shards:
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            names += [r["eventName"] for r in streams.get_records(ShardIterator=iterator)["Records"]]
        assert names == ["INSERT", "MODIFY", "REMOVE"]
    finally:
        server.stop()
        hook.close()


def test_shoal_partiql_command(server, songs, tmp_path):
    def run(*args):
        result = subprocess.run([shoal_binary(), "partiql", "--endpoint", server.endpoint, *args], capture_output=True, text=True,
                                timeout=60, env=dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_REGION="us-east-1"))
        assert result.returncode == 0, result.stderr
        return result.stdout
    lines = run("-c", f"SELECT Artist, Song FROM \"{songs}\" WHERE Artist = 'a'", "--json").strip().splitlines()
    assert [json.loads(line)["Song"]["S"] for line in lines] == ["s1", "s2", "s3", "s4", "s5"]
    table = run("-c", f"SELECT Artist, Song, plays FROM \"{songs}\" WHERE Artist = ? AND Song = 's2'", "--parameters", '[{"S": "b"}]')
    assert "Artist" in table and "| s2" in table and "(1 item)" in table
    script = tmp_path / "statements.sql"
    script.write_text(f"INSERT INTO \"{songs}\" VALUE {{'Artist': 'f', 'Song': 's;1'}};\n-- a comment\n"
                      f"SELECT * FROM \"{songs}\" WHERE Artist = 'f';\n")
    assert "s;1" in run("--file", str(script))
    session = subprocess.run([shoal_binary(), "partiql", "--endpoint", server.endpoint], capture_output=True, text=True, timeout=60,
                             input=f"SELECT Song FROM \"{songs}\"\n WHERE Artist = 'c';\n\\q\n",
                             env=dict(os.environ, HOME=str(tmp_path), AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x"))
    assert session.returncode == 0, session.stderr
    assert "(5 items)" in session.stdout
    assert "WHERE Artist = 'c'" in (tmp_path / ".shoal_partiql_history").read_text()
