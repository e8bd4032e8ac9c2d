"""BatchGetItem and BatchWriteItem."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message


def test_batch_write_and_get(ddb, music):
    writes = [{"PutRequest": {"Item": {"Artist": {"S": "Z"}, "Song": {"S": f"s{i}"}, "n": {"N": str(i)}}}} for i in range(25)]
    result = ddb.batch_write_item(RequestItems={music: writes}, ReturnConsumedCapacity="TOTAL")
    assert result["UnprocessedItems"] == {}
    assert result["ConsumedCapacity"] == [{"TableName": music, "CapacityUnits": 25.0}]
    keys = [{"Artist": {"S": "Z"}, "Song": {"S": f"s{i}"}} for i in range(0, 30, 3)]
    got = ddb.batch_get_item(RequestItems={music: {"Keys": keys, "ProjectionExpression": "Song, n"}})
    assert sorted(int(i["n"]["N"]) for i in got["Responses"][music]) == list(range(0, 25, 3))
    assert all(set(i) == {"Song", "n"} for i in got["Responses"][music])
    assert got["UnprocessedKeys"] == {}
    ddb.batch_write_item(RequestItems={music: [{"DeleteRequest": {"Key": k}} for k in keys]})
    left = ddb.scan(TableName=music, Select="COUNT")["Count"]
    assert left == 25 - 9


def test_resource_batch_writer(resource, music):
    table = resource.Table(music)
    with table.batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"Artist": "W", "Song": f"{i:03d}"})
    assert table.scan(Select="COUNT")["Count"] == 60


def test_batch_limits(ddb, music):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={music: [{"PutRequest": {"Item": {"Artist": {"S": "a"}, "Song": {"S": str(i)}}}} for i in range(26)]})
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={music: {"Keys": [{"Artist": {"S": "a"}, "Song": {"S": "b"}}] * 2}})
    assert error_message(e) == "Provided list of item keys contains duplicates"
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={music: {"Keys": [{"Artist": {"S": "a"}, "Song": {"S": str(i)}} for i in range(101)]}})
    assert error_message(e) == "Too many items requested for the BatchGetItem call"


def test_largest_batch_write(ddb, music):
    """25 items just under the 400 KB item limit: a ~10 MB request, well inside the 16 MB body limit."""
    big = "x" * (400 * 1024 - 100)
    writes = [{"PutRequest": {"Item": {"Artist": {"S": "L"}, "Song": {"S": f"{i:02d}"}, "d": {"S": big}}}} for i in range(25)]
    assert ddb.batch_write_item(RequestItems={music: writes})["UnprocessedItems"] == {}
    page = ddb.query(TableName=music, KeyConditionExpression="Artist = :a", ExpressionAttributeValues={":a": {"S": "L"}})
    # 1 MB pages: two items of ~400 KB fit, a third would pass 1 MB.
    assert page["Count"] == 2 and "LastEvaluatedKey" in page
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=music, Item={"Artist": {"S": "L"}, "Song": {"S": "too big"}, "d": {"S": "x" * (400 * 1024)}})
    assert error_message(e) == "Item size has exceeded the maximum allowed size"
