"""A TTL test without waiting: with `--shoal-clock manual` the clock moves only when told.
Skipped under the system clock."""
import pytest


def test_sessions_expire_when_the_clock_passes_them(dynamodb_client, shoal_server, pytestconfig):
    if pytestconfig.getoption("--shoal-clock") != "manual":
        pytest.skip("needs --shoal-clock manual")
    dynamodb_client.create_table(TableName="Sessions", BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    dynamodb_client.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    now = shoal_server.clock_millis() // 1000
    dynamodb_client.put_item(TableName="Sessions", Item={"id": {"S": "short"}, "ttl": {"N": str(now + 60)}})
    dynamodb_client.put_item(TableName="Sessions", Item={"id": {"S": "long"}, "ttl": {"N": str(now + 3600)}})
    shoal_server.advance_clock(61)
    assert [i["id"]["S"] for i in dynamodb_client.scan(TableName="Sessions")["Items"]] == ["long"]
