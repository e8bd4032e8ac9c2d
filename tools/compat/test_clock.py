"""The controllable clock through the admin API (`GetClock`, `SetClock`, `AdvanceClock`) on
`shoal serve --clock manual`, checked with boto3: TTL, stream records' times, iterator expiry
and retention follow it, and what came due has run when AdvanceClock answers."""
import boto3
import pytest

from conftest import Server, client_config
from test_fault_injection import admin

START_MILLIS = 1_800_000_000_000


@pytest.fixture(scope="module")
def manual():
    s = Server("--clock", "manual", "--shards", "2")
    yield s
    s.stop()


def clients(server):
    args = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                config=client_config())
    return boto3.client("dynamodb", **args), boto3.client("dynamodbstreams", **args)


def records(streams, arn):
    found = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        found += streams.get_records(ShardIterator=iterator)["Records"]
    return found


def test_get_set_and_advance(manual):
    status, answer = admin(manual, "SetClock", {"EpochMillis": START_MILLIS})
    assert status == 200 and answer == {"EpochMillis": START_MILLIS, "Mode": "manual"}
    assert admin(manual, "GetClock", {})[1]["EpochMillis"] == START_MILLIS
    assert admin(manual, "AdvanceClock", {"Seconds": 1.5})[1]["EpochMillis"] == START_MILLIS + 1500
    assert admin(manual, "GetClock", {})[1]["EpochMillis"] == START_MILLIS + 1500
    for body, message in (({"Seconds": -1}, "Seconds must be a number of seconds between 0 and 3153600000 (100 years)"),
                          ({}, "Seconds must be a number of seconds between 0 and 3153600000 (100 years)")):
        status, answer = admin(manual, "AdvanceClock", body)
        assert status == 400 and answer["__type"].endswith("ValidationException") and answer["message"] == message
    status, answer = admin(manual, "SetClock", {"EpochMillis": "soon"})
    assert status == 400 and answer["message"] == "EpochMillis must be a number of milliseconds since 1970 (up to the year 9999)"


def test_ttl_and_streams_follow_the_clock(manual):
    ddb, streams = clients(manual)
    admin(manual, "SetClock", {"EpochMillis": START_MILLIS})
    ddb.create_table(TableName="Sessions", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
    ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    start = START_MILLIS // 1000
    for i in range(10):
        ddb.put_item(TableName="Sessions", Item={"id": {"S": f"s{i}"}, "expires": {"N": str(start + 60 * (i + 1))}})
    arn = ddb.describe_table(TableName="Sessions")["Table"]["LatestStreamArn"]
    written = records(streams, arn)
    assert len(written) == 10
    assert {r["dynamodb"]["ApproximateCreationDateTime"].timestamp() for r in written} == {start}

    # Five minutes later exactly the first five have expired, before the call answered.
    admin(manual, "AdvanceClock", {"Seconds": 300})
    left = sorted(i["id"]["S"] for i in ddb.scan(TableName="Sessions")["Items"])
    assert left == [f"s{i}" for i in range(5, 10)]
    removals = [r for r in records(streams, arn) if r["eventName"] == "REMOVE"]
    assert len(removals) == 5
    assert all(r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"} for r in removals)

    # An iterator older than 15 minutes of the clock has expired.
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    admin(manual, "AdvanceClock", {"Seconds": 901})
    with pytest.raises(streams.exceptions.ExpiredIteratorException):
        streams.get_records(ShardIterator=iterator)

    # A day after they were written, the puts' records are trimmed; the first removals' are not yet,
    # and the other five sessions expired when the clock passed them (at +1201 s).
    admin(manual, "SetClock", {"EpochMillis": START_MILLIS + 24 * 3600 * 1000 + 1000})
    kept = records(streams, arn)
    assert [r["eventName"] for r in kept] == ["REMOVE"] * 10
    assert sorted(r["dynamodb"]["ApproximateCreationDateTime"].timestamp() for r in kept) == [start + 300] * 5 + [start + 1201] * 5
    assert ddb.scan(TableName="Sessions", Select="COUNT")["Count"] == 0


def test_a_system_clock_cannot_be_moved(server):
    status, answer = admin(server, "AdvanceClock", {"Seconds": 1})
    assert status == 400 and answer["message"] == "The clock is the system's: start with --clock manual to advance it"
    status, answer = admin(server, "GetClock", {})
    assert status == 200 and answer["Mode"] == "system" and abs(answer["EpochMillis"] / 1000 - __import__("time").time()) < 60
