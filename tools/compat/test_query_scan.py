"""Query and Scan with paginators, filters, projections."""
import pytest
from botocore.exceptions import ClientError
from boto3.dynamodb.conditions import Attr, Key

from conftest import error_code, error_message


@pytest.fixture
def songs(ddb, music):
    for artist in ("A", "B"):
        for i in range(30):
            ddb.put_item(TableName=music, Item={"Artist": {"S": artist}, "Song": {"S": f"s{i:02d}"},
                                                "n": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}})
    return music


def test_query_paginator_with_key_condition(ddb, songs):
    pages = ddb.get_paginator("query").paginate(
        TableName=songs, KeyConditionExpression="Artist = :a AND Song BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":a": {"S": "A"}, ":lo": {"S": "s05"}, ":hi": {"S": "s24"}},
        PaginationConfig={"PageSize": 6})
    songs_seen = [item["Song"]["S"] for page in pages for item in page["Items"]]
    assert songs_seen == [f"s{i:02d}" for i in range(5, 25)]


def test_query_filter_limit_and_counts(resource, songs):
    table = resource.Table(songs)
    page = table.query(KeyConditionExpression=Key("Artist").eq("B"), FilterExpression=Attr("odd").eq(True), Limit=10,
                       ProjectionExpression="Song", ScanIndexForward=False)
    assert [i["Song"] for i in page["Items"]] == ["s29", "s27", "s25", "s23", "s21"]
    assert page["Count"] == 5 and page["ScannedCount"] == 10
    assert page["LastEvaluatedKey"] == {"Artist": "B", "Song": "s20"}
    count = table.query(KeyConditionExpression=Key("Artist").eq("A") & Key("Song").begins_with("s1"), Select="COUNT")
    assert count["Count"] == 10 and "Items" not in count


def test_scan_paginator_and_segments(ddb, songs):
    items = [i for page in ddb.get_paginator("scan").paginate(TableName=songs, PaginationConfig={"PageSize": 7}) for i in page["Items"]]
    assert len(items) == 60
    seen = []
    for segment in range(3):
        for page in ddb.get_paginator("scan").paginate(TableName=songs, Segment=segment, TotalSegments=3):
            seen += [(i["Artist"]["S"], i["Song"]["S"]) for i in page["Items"]]
    assert len(seen) == 60 and len(set(seen)) == 60
    filtered = ddb.scan(TableName=songs, FilterExpression="n >= :x", ExpressionAttributeValues={":x": {"N": "28"}})
    assert filtered["Count"] == 4 and filtered["ScannedCount"] == 60


def test_legacy_parameters(ddb, songs):
    page = ddb.query(TableName=songs, KeyConditions={"Artist": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]}},
                     QueryFilter={"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "3"}]}}, AttributesToGet=["Song"])
    assert page["Items"] == [{"Song": {"S": "s00"}}, {"Song": {"S": "s01"}}, {"Song": {"S": "s02"}}]
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=songs, KeyConditionExpression="Artist = :a", ExpressionAttributeValues={":a": {"S": "A"}},
                  QueryFilter={"n": {"ComparisonOperator": "NOT_NULL"}})
    assert error_message(e) == ("Can not use both expression and non-expression parameters in the same request: "
                                "Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}")


def test_expression_errors(ddb, songs):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=songs, KeyConditionExpression="Artist = :a", ExpressionAttributeValues={":a": {"S": "A"}, ":b": {"S": "B"}})
    assert error_message(e) == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=songs, FilterExpression="n = ")
    assert error_code(e) == "ValidationException"
    assert error_message(e).startswith("Invalid FilterExpression: Syntax error; token: \"<EOF>\"")
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=songs, IndexName="nope", KeyConditionExpression="Artist = :a", ExpressionAttributeValues={":a": {"S": "A"}})
    assert error_message(e) == "The table does not have the specified index: nope"
