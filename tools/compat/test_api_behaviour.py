"""DynamoDB's answers where Shoal once differed (shared/dynamodb-behaviour.md, points 19-49), as boto3 sees them."""
import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from wire import error_type, send


def fails(call, pattern, code="ValidationException"):
    with pytest.raises(ClientError) as e:
        call()
    text = f"An error occurred ({e.value.response['Error']['Code']}): {e.value.response['Error']['Message']}"
    assert e.value.response["Error"]["Code"] == code, text
    assert re.search(pattern, text), text
    return text


@pytest.fixture
def hash_table(ddb, table_name):
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return table_name


@pytest.fixture
def sorted_table(ddb, table_name):
    ddb.create_table(TableName=table_name,
                     KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "c", "AttributeType": "N"}],
                     BillingMode="PAY_PER_REQUEST")
    return table_name


def get(ddb, table, key="k"):
    return ddb.get_item(TableName=table, Key={"p": {"S": key}}).get("Item")


# 19
def test_19_attribute_values_without_a_type(server, ddb, hash_table):
    body = {"TableName": hash_table, "Item": {"p": {"S": "a"}, "x": {"dog": "cat"}}}
    status, _, response = send(server, "PutItem", body)
    assert status == 400 and error_type(response) == "ValidationException"
    assert "Supplied AttributeValue is empty" in json.loads(response)["message"]
    status, _, response = send(server, "UpdateItem", {"TableName": hash_table, "Key": {"p": {"S": "a"}}, "UpdateExpression": "SET x = :x",
                                                      "ExpressionAttributeValues": {":x": {"dog": "cat"}}})
    assert error_type(response) == "ValidationException"
    assert json.loads(response)["message"].startswith("ExpressionAttributeValues contains invalid value:")
    assert json.loads(response)["message"].endswith("for key :x")
    status, _, response = send(server, "BatchWriteItem", {"RequestItems": {hash_table: [{"PutRequest": {"Item": {"p": {"S": "a"}, "x": {"dog": "cat"}}}}]}})
    assert error_type(response) == "ValidationException"
    for value in ({"N": 3}, {"M": {"dog": "cat"}}):
        status, _, response = send(server, "PutItem", {"TableName": hash_table, "Item": {"p": {"S": "a"}, "x": value}})
        assert status == 400 and error_type(response) in ("ValidationException", "SerializationException")
    assert get(ddb, hash_table, "a") is None


# 20
def test_20_nesting_limit(ddb, hash_table):
    def nested(levels):
        value = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"m": value}}
        return value
    ddb.put_item(TableName=hash_table, Item={"p": {"S": "deep"}, "v": nested(32)})
    fails(lambda: ddb.put_item(TableName=hash_table, Item={"p": {"S": "deep"}, "v": nested(50)}), r".*Exception.*nested")


# 21, 22
@pytest.mark.parametrize("size,ok", [(65535, True), (65536, False), (0, False)])
def test_21_22_attribute_name_lengths_in_six_places(ddb, hash_table, size, ok):
    name = "n" * size
    pattern = r"ValidationException.*6553[56]" if size else r"ValidationException.*Empty attribute name"
    calls = [
        lambda: ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, name: {"S": "v"}}),
        lambda: ddb.get_item(TableName=hash_table, Key={"p": {"S": "k"}}, ProjectionExpression="#n", ExpressionAttributeNames={"#n": name}),
        lambda: ddb.get_item(TableName=hash_table, Key={"p": {"S": "k"}}, AttributesToGet=[name]),
        lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, AttributeUpdates={name: {"Value": {"S": "v"}, "Action": "PUT"}}),
        lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET #n = :v",
                                ExpressionAttributeNames={"#n": name}, ExpressionAttributeValues={":v": {"S": "v"}}),
        lambda: ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}}, ConditionExpression="attribute_not_exists(#n) OR attribute_exists(#n)",
                             ExpressionAttributeNames={"#n": name}),
    ]
    for call in calls:
        if ok:
            call()
        else:
            fails(call, pattern)


# 23
def test_23_mixed_parameters_name_both_groups(ddb, hash_table):
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, AttributeUpdates={"a": {"Value": {"N": "1"}}},
                                  ConditionExpression="attribute_exists(p)"), r"ValidationException.*ConditionExpression")
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, Expected={"a": {"Exists": False}},
                                  UpdateExpression="SET a = :v", ExpressionAttributeValues={":v": {"N": "1"}}),
          r"ValidationException.*UpdateExpression")


# 24
@pytest.mark.parametrize("stored,action,value,pattern", [
    ({"M": {"a": {"S": "b"}}}, "DELETE", {"SS": ["a"]}, "mismatch"),
    ({"NS": ["1"]}, "DELETE", {"SS": ["a"]}, "mismatch"),
    ({"NS": ["1"]}, "ADD", {"SS": ["a"]}, "mismatch"),
    ({"SS": ["a"]}, "ADD", {"N": "1"}, "mismatch"),
    ({"SS": ["a"]}, "ADD", {"L": [{"S": "a"}]}, "mismatch"),
    ({"L": [{"S": "a"}]}, "ADD", {"SS": ["a"]}, "mismatch"),
    ({"L": [{"S": "a"}]}, "ADD", {"N": "1"}, "mismatch"),
    ({"N": "1"}, "ADD", {"L": [{"S": "a"}]}, "mismatch"),
    ({"N": "1"}, "ADD", {"SS": ["a"]}, "mismatch"),
    ({"S": "a"}, "ADD", {"S": "b"}, "type"),
    ({"M": {}}, "ADD", {"M": {}}, "type"),
    ({"SS": ["a"]}, "ADD", {"S": "b"}, "type"),
    ({"SS": ["a"]}, "DELETE", {"SS": []}, "empty"),
])
def test_24_legacy_update_type_errors(ddb, hash_table, stored, action, value, pattern):
    ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, "a": stored})
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, AttributeUpdates={"a": {"Action": action, "Value": value}}),
          pattern)
    assert get(ddb, hash_table)["a"] == stored


# 25, 26, 40
def test_25_26_40_legacy_operator_errors(ddb, sorted_table):
    q = lambda **kw: ddb.query(TableName=sorted_table, **kw)
    eq = {"p": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}
    for values in ([], [{"S": "a"}, {"S": "b"}]):
        fails(lambda: q(KeyConditions={"p": {"ComparisonOperator": "EQ", "AttributeValueList": values}}), r"ValidationException.*EQ")
    for values in ([], [{"N": "1"}], [{"N": "1"}, {"N": "2"}, {"N": "3"}]):
        fails(lambda: q(KeyConditions=eq, QueryFilter={"x": {"ComparisonOperator": "BETWEEN", "AttributeValueList": values}}),
              r"ValidationException.*BETWEEN")
    fails(lambda: q(KeyConditions=eq, QueryFilter={"x": {"ComparisonOperator": "IN", "AttributeValueList": []}}), r"ValidationException.*IN")
    fails(lambda: q(KeyConditions={**eq, "c": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}}),
          r"ValidationException.*BEGINS_WITH")
    for values in ([{"N": "3"}, {"S": "dog"}], [{"S": "a"}, {"N": "3"}]):
        fails(lambda: q(KeyConditions=eq, QueryFilter={"x": {"ComparisonOperator": "IN", "AttributeValueList": values}}),
              r"ValidationException.* type")
    fails(lambda: q(KeyConditions=eq, QueryFilter={"x": {"ComparisonOperator": "IN", "AttributeValueList": [{"L": [{"N": "1"}]}]}}),
          r"ValidationException")
    fails(lambda: ddb.put_item(TableName=sorted_table, Item={"p": {"S": "a"}, "c": {"N": "1"}},
                               Expected={"x": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "3"}, {"S": "dog"}]}}),
          r"ValidationException.* type")


# 27-31, 34, 35
def test_27_to_31_condition_functions(ddb, hash_table):
    put = lambda cond, values=None, names=None: ddb.put_item(
        TableName=hash_table, Item={"p": {"S": "k"}, "a": {"S": "x"}}, ConditionExpression=cond,
        **({"ExpressionAttributeValues": values} if values else {}), **({"ExpressionAttributeNames": names} if names else {}))
    put("attribute_type(:val, :type)", {":val": {"N": "0"}, ":type": {"S": "N"}})
    fails(lambda: put("attribute_type(a, b)"), r"ValidationException.*attribute_type")
    put("size(:xyz) >= :arg", {":xyz": {"S": "abc"}, ":arg": {"N": "3"}})
    fails(lambda: put("size(:xyz) >= :arg", {":xyz": {"N": "3"}, ":arg": {"N": "3"}}),
          r"Incorrect operand type for operator or function; operator or function: size, operand type: N")
    fails(lambda: put("size(size(a)) >= :arg", {":arg": {"N": "3"}}), r"ValidationException")
    fails(lambda: put("contains(a, a)"), r"ValidationException.*distinct")
    put("contains(a, a1) OR attribute_exists(p) OR attribute_not_exists(p)")
    fails(lambda: put("((p <> :p))", {":p": {"S": "z"}}), r"ValidationException.*redundant parentheses")
    put("(p <> :p)", {":p": {"S": "z"}})
    put("((p <> :p) and p <> :p)", {":p": {"S": "z"}})


def test_28_attribute_type_path_in_a_query_filter_fails_at_parse_time(ddb, sorted_table):
    fails(lambda: ddb.query(TableName=sorted_table, KeyConditionExpression="p = :p", FilterExpression="attribute_type(a, b)",
                            ExpressionAttributeValues={":p": {"S": "nothing-here"}}),
          r"ValidationException.*Invalid FilterExpression.*attribute_type")


def test_32_names_start_with_a_letter(ddb, hash_table):
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET _a = :v",
                                  ExpressionAttributeValues={":v": {"N": "1"}}), r"Syntax error")
    ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET a_1 = :v_1", ExpressionAttributeValues={":v_1": {"N": "1"}})


def test_34_list_append_does_not_nest(ddb, hash_table):
    values = {":v1": {"L": [{"N": "1"}]}, ":v2": {"L": [{"N": "2"}]}, ":v3": {"L": [{"N": "3"}]}}
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET a = list_append(list_append(:v1, :v2), :v3)",
                                  ExpressionAttributeValues=values), r"function: list_append")
    ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET a = list_append(if_not_exists(a, :v1), :v2)",
                    ExpressionAttributeValues={":v1": values[":v1"], ":v2": values[":v2"]})
    ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET b = if_not_exists(b, if_not_exists(c, :v1))",
                    ExpressionAttributeValues={":v1": values[":v1"]})
    assert get(ddb, hash_table)["a"] == {"L": [{"N": "1"}, {"N": "2"}]}


def test_35_projection_list_indexes(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, "a": {"L": [{"N": "1"}]}})
    fails(lambda: ddb.get_item(TableName=hash_table, Key={"p": {"S": "k"}}, ProjectionExpression="a[99999999999999]"),
          r"ValidationException.*ProjectionExpression.*index")
    for expression in ("a[2]", "a[999]"):
        assert ddb.get_item(TableName=hash_table, Key={"p": {"S": "k"}}, ProjectionExpression=expression)["Item"] == {}
    for expression in ("a[-1]", "a[]"):
        fails(lambda: ddb.get_item(TableName=hash_table, Key={"p": {"S": "k"}}, ProjectionExpression=expression),
              r"ValidationException.*ProjectionExpression.*[Ss]yntax error")


# 36-38
def test_36_37_removals_do_not_create_items(ddb, hash_table):
    for key, kwargs in [("r1", {"AttributeUpdates": {"a": {"Action": "DELETE"}}}),
                        ("r2", {"AttributeUpdates": {"a": {"Action": "DELETE", "Value": {"SS": ["x"]}}}}),
                        ("r3", {"UpdateExpression": "REMOVE a"}), ("r4", {"UpdateExpression": "REMOVE x.y"}),
                        ("r5", {"UpdateExpression": "REMOVE x[0]"})]:
        response = ddb.update_item(TableName=hash_table, Key={"p": {"S": key}}, ReturnValues="ALL_NEW", **kwargs)
        assert "Attributes" not in response
        assert get(ddb, hash_table, key) is None
    response = ddb.update_item(TableName=hash_table, Key={"p": {"S": "r6"}}, AttributeUpdates={}, ReturnValues="ALL_NEW")
    assert response["Attributes"] == {"p": {"S": "r6"}}
    ddb.put_item(TableName=hash_table, Item={"p": {"S": "r7"}})
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "r7"}}, UpdateExpression="REMOVE x.y"), r"ValidationException")


def test_38_past_the_end_sets_append_by_index(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, "a": {"L": [{"S": s} for s in ("one", "two", "three", "hello")]}})
    ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET a[84]=:a1, a[37]=:a2, a[17]=:a3, a[50]=:a4",
                    ExpressionAttributeValues={f":a{i}": {"S": f"a{i}"} for i in range(1, 5)})
    assert [v["S"] for v in get(ddb, hash_table)["a"]["L"]] == ["one", "two", "three", "hello", "a3", "a2", "a4", "a1"]


# 39
def test_39_empty_expected_with_conditional_operator(ddb, hash_table):
    for op in ("OR", "AND"):
        fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, Expected={}, ConditionalOperator=op,
                                      AttributeUpdates={"a": {"Value": {"N": "1"}}}), r"ValidationException.*ConditionalOperator")
    ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, Expected={}, AttributeUpdates={"a": {"Value": {"N": "1"}}})
    assert get(ddb, hash_table)["a"] == {"N": "1"}


# 41, 42
def test_41_key_conditions_with_expressions(ddb, sorted_table):
    for c in range(3):
        ddb.put_item(TableName=sorted_table, Item={"p": {"S": "a"}, "c": {"N": str(c)}, "x": {"N": str(c * 10)}, "y": {"S": "y"}})
    eq = {"p": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}
    response = ddb.query(TableName=sorted_table, KeyConditions=eq, FilterExpression="#x > :v", ProjectionExpression="c, #x",
                         ExpressionAttributeNames={"#x": "x"}, ExpressionAttributeValues={":v": {"N": "5"}}, Select="SPECIFIC_ATTRIBUTES")
    assert response["Items"] == [{"c": {"N": "1"}, "x": {"N": "10"}}, {"c": {"N": "2"}, "x": {"N": "20"}}]
    assert ddb.query(TableName=sorted_table, KeyConditions=eq, FilterExpression="x > :v", ExpressionAttributeValues={":v": {"N": "5"}},
                     Select="COUNT")["Count"] == 2
    fails(lambda: ddb.query(TableName=sorted_table, KeyConditions=eq, KeyConditionExpression="p = :p",
                            ExpressionAttributeValues={":p": {"S": "a"}}), r"ValidationException")
    fails(lambda: ddb.query(TableName=sorted_table, KeyConditions=eq, QueryFilter={"x": {"ComparisonOperator": "NOT_NULL"}},
                            ProjectionExpression="c"), r"Non-expression parameters: \{QueryFilter\}")
    fails(lambda: ddb.query(TableName=sorted_table, KeyConditions=eq, FilterExpression="x > :v" + " " * 4091,
                            ExpressionAttributeValues={":v": {"N": "5"}}), r"ValidationException.*FilterExpression")
    for select in ("ALL_ATTRIBUTES", "COUNT"):
        fails(lambda: ddb.query(TableName=sorted_table, KeyConditions=eq, ProjectionExpression="c", Select=select),
              r"ValidationException.*ProjectionExpression")
        fails(lambda: ddb.query(TableName=sorted_table, KeyConditions=eq, AttributesToGet=["c"], Select=select),
              r"ValidationException.*AttributesToGet")
    for select in ("DOG", "count"):
        fails(lambda: ddb.query(TableName=sorted_table, KeyConditions=eq, Select=select), r"ValidationException")


def test_42_exclusive_start_key_on_a_hash_only_query(ddb, hash_table):
    fails(lambda: ddb.query(TableName=hash_table, KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": {"S": "dog"}},
                            ExclusiveStartKey={"p": {"S": "dog"}}), r"ValidationException.*ExclusiveStartKey")


# 44-47
def test_44_delete_table_description(ddb, hash_table):
    description = ddb.delete_table(TableName=hash_table)["TableDescription"]
    assert description["TableName"] == hash_table and description["TableStatus"] in ("DELETING", "ACTIVE")
    for absent in ("KeySchema", "AttributeDefinitions", "CreationDateTime"):
        assert absent not in description
    assert "ItemCount" in description and "TableArn" in description


def test_45_46_47_create_table_checks(server, ddb, table_name):
    schema = [{"AttributeName": "p", "KeyType": "HASH"}]
    fails(lambda: ddb.create_table(TableName=table_name, KeySchema=schema, BillingMode="PAY_PER_REQUEST",
                                   AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "xyz", "AttributeType": "S"},
                                                         {"AttributeName": "xyz", "AttributeType": "N"}]),
          r"ValidationException.*uplicate.*xyz")
    text = fails(lambda: ddb.create_table(TableName=table_name, KeySchema=schema, BillingMode="PAY_PER_REQUEST",
                                          AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"},
                                                                {"AttributeName": "q" * 300, "AttributeType": "S"}]),
                 r"1 validation error detected: Value '.*' at 'attributeDefinitions.2.member.attributeName' failed to satisfy constraint")
    assert "Number of attributes" not in text
    # boto3 checks this itself, so it goes raw.
    status, _, body = send(server, "CreateTable", {"TableName": table_name, "KeySchema": schema,
                                                   "AttributeDefinitions": [{"AttributeName": "p", "AttributeType": "S"}],
                                                   "ProvisionedThroughput": {"ReadCapacityUnits": 1}})
    assert status == 400 and json.loads(body)["message"] == (
        "1 validation error detected: Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null")


# 48, 49
@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1", "1 "])
def test_48_invalid_numbers(ddb, hash_table, text):
    fails(lambda: ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, "n": {"N": text}}), r"ValidationException.*numeric")
    fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression="SET n = :n",
                                  ExpressionAttributeValues={":n": {"N": text}}), r"ValidationException.*numeric")


def test_48_accepted_number_forms(ddb, hash_table):
    for text in ("3", "-7.1234", "-17e5", "-17.4E37", "+3", ".123", "0001.23", "1e+5"):
        ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, "n": {"N": text}})


def test_49_arithmetic_beyond_38_digits(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"p": {"S": "k"}, "n": {"N": "1e50"}})
    for op in ("-", "+"):
        fails(lambda: ddb.update_item(TableName=hash_table, Key={"p": {"S": "k"}}, UpdateExpression=f"SET n = n {op} :one",
                                      ExpressionAttributeValues={":one": {"N": "1"}}), r"ValidationException.*number")


# 43
def test_43_scan_and_query_capacity(ddb, sorted_table):
    for c in range(3):
        ddb.put_item(TableName=sorted_table, Item={"p": {"S": "a"}, "c": {"N": str(c)}})
    # A finished Scan pays the read minimum for each of a new table's four partitions (59).
    scan = ddb.scan(TableName=sorted_table, ReturnConsumedCapacity="TOTAL")
    assert scan["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 2.0}
    scan = ddb.scan(TableName=sorted_table, ReturnConsumedCapacity="INDEXES", ConsistentRead=True)
    assert scan["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 4.0, "Table": {"CapacityUnits": 4.0}}
    query = ddb.query(TableName=sorted_table, KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": {"S": "a"}},
                      ReturnConsumedCapacity="TOTAL")
    assert query["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 0.5}
