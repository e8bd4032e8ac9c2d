"""Item operations: values of every type, conditions, updates, errors."""
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from boto3.dynamodb.conditions import Attr, Key

from conftest import error_code, error_message


def test_every_type_round_trips_exactly(ddb, music):
    item = {
        "Artist": {"S": "Ada"}, "Song": {"S": "Überweisung ✓"},
        "Year": {"N": "1843"}, "Precise": {"N": "12345678901234567890.123456789012345678"},
        "Tiny": {"N": "-1E-130"}, "Blob": {"B": b"\x00\xff\x10"}, "Flag": {"BOOL": True}, "Nothing": {"NULL": True},
        "Tags": {"SS": ["a", "b"]}, "Scores": {"NS": ["1", "2.5"]}, "Bins": {"BS": [b"x", b"y"]},
        "List": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}]}, "Map": {"M": {"inner": {"M": {"deep": {"S": "y"}}}}},
        "Empty": {"S": ""},
    }
    ddb.put_item(TableName=music, Item=item)
    got = ddb.get_item(TableName=music, Key={"Artist": {"S": "Ada"}, "Song": {"S": "Überweisung ✓"}}, ConsistentRead=True)["Item"]
    assert got["Precise"] == {"N": "12345678901234567890.123456789012345678"}
    assert got["Tiny"] == {"N": "-0." + "0" * 129 + "1"}
    assert got["Blob"] == {"B": b"\x00\xff\x10"}
    assert sorted(got["Tags"]["SS"]) == ["a", "b"]
    assert sorted(got["Scores"]["NS"]) == ["1", "2.5"]
    assert got["Map"] == item["Map"] and got["List"] == item["List"] and got["Empty"] == {"S": ""}
    assert got["Nothing"] == {"NULL": True} and got["Flag"] == {"BOOL": True}


def test_resource_decimals_and_conditions(resource, music):
    table = resource.Table(music)
    table.put_item(Item={"Artist": "Bo", "Song": "One", "Plays": Decimal("10"), "Rating": Decimal("4.75")})
    table.put_item(Item={"Artist": "Bo", "Song": "One", "Plays": Decimal("11")}, ConditionExpression=Attr("Plays").eq(10))
    with pytest.raises(ClientError) as e:
        table.put_item(Item={"Artist": "Bo", "Song": "One"}, ConditionExpression=Attr("Plays").eq(10),
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error_code(e) == "ConditionalCheckFailedException"
    assert error_message(e) == "The conditional request failed"
    assert e.value.response["Item"]["Plays"] == {"N": "11"}
    assert table.get_item(Key={"Artist": "Bo", "Song": "One"})["Item"]["Plays"] == Decimal("11")


def test_update_item(ddb, music):
    key = {"Artist": {"S": "Cy"}, "Song": {"S": "Two"}}
    result = ddb.update_item(
        TableName=music, Key=key,
        UpdateExpression="SET #p = if_not_exists(#p, :zero) + :one, history = list_append(if_not_exists(history, :empty), :h) ADD tags :t",
        ExpressionAttributeNames={"#p": "Plays"},
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}, ":empty": {"L": []}, ":h": {"L": [{"S": "played"}]},
                                   ":t": {"SS": ["new"]}},
        ReturnValues="ALL_NEW")
    assert result["Attributes"]["Plays"] == {"N": "1"}
    assert result["Attributes"]["history"] == {"L": [{"S": "played"}]}
    old = ddb.update_item(TableName=music, Key=key, UpdateExpression="REMOVE history SET Plays = Plays + :one",
                          ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_OLD")
    assert old["Attributes"] == {"Plays": {"N": "1"}, "history": {"L": [{"S": "played"}]}}
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=music, Key=key, UpdateExpression="SET Song = :s", ExpressionAttributeValues={":s": {"S": "x"}})
    assert error_message(e) == "One or more parameter values were invalid: Cannot update attribute Song. This attribute is part of the key"
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=music, Key=key, UpdateExpression="SET status = :s", ExpressionAttributeValues={":s": {"S": "x"}})
    assert error_message(e) == "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"


def test_delete_item_with_return_values(ddb, music):
    key = {"Artist": {"S": "Di"}, "Song": {"S": "Three"}}
    ddb.put_item(TableName=music, Item={**key, "x": {"N": "1"}})
    gone = ddb.delete_item(TableName=music, Key=key, ReturnValues="ALL_OLD", ConditionExpression="attribute_exists(x)")
    assert gone["Attributes"]["x"] == {"N": "1"}
    assert "Item" not in ddb.get_item(TableName=music, Key=key)


@pytest.mark.parametrize("item,code,message", [
    ({"Artist": {"S": "a"}}, "ValidationException", "One or more parameter values were invalid: Missing the key Song in the item"),
    ({"Artist": {"N": "1"}, "Song": {"S": "x"}}, "ValidationException",
     "One or more parameter values were invalid: Type mismatch for key Artist expected: S actual: N"),
    ({"Artist": {"S": "a"}, "Song": {"S": "x"}, "n": {"N": "1e200"}}, "ValidationException",
     "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ({"Artist": {"S": "a"}, "Song": {"S": "x"}, "s": {"SS": ["a", "a"]}}, "ValidationException",
     "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
    ({"Artist": {"S": "a"}, "Song": {"S": "x"}, "v": {}}, "ValidationException",
     "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
])
def test_put_item_validation(ddb, music, item, code, message):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=music, Item=item)
    assert error_code(e) == code
    assert error_message(e) == message


def test_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="no_such_table", Key={"k": {"S": "x"}})
    assert error_code(e) == "ResourceNotFoundException"
    assert error_message(e) == "Requested resource not found"


def test_consumed_capacity(ddb, music):
    key = {"Artist": {"S": "Ed"}, "Song": {"S": "Big"}}
    put = ddb.put_item(TableName=music, Item={**key, "data": {"S": "x" * 3000}}, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": music, "CapacityUnits": 3.0}
    get = ddb.get_item(TableName=music, Key=key, ReturnConsumedCapacity="INDEXES")
    assert get["ConsumedCapacity"]["CapacityUnits"] == 0.5
    assert get["ConsumedCapacity"]["Table"]["CapacityUnits"] == 0.5
    strong = ddb.get_item(TableName=music, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 1.0
