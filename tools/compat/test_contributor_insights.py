"""Contributor insights: UpdateContributorInsights, DescribeContributorInsights and
ListContributorInsights through boto3 and the AWS CLI, and the most accessed keys of a skewed
workload reported by `ShoalAdmin_20261126.GetContributorInsightsReport` and `/metrics`."""
import json
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code
from test_cli import aws


def admin_report(server, body):
    request = urllib.request.Request(server.endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "ShoalAdmin_20261126.GetContributorInsightsReport"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_enable_describe_list_and_the_top_keys(server, ddb):
    name = "ci_" + uuid.uuid4().hex[:8]
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                           {"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}])
    assert ddb.describe_contributor_insights(TableName=name)["ContributorInsightsStatus"] == "DISABLED"
    enabled = ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
    assert enabled["ContributorInsightsStatus"] == "ENABLING" and enabled["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    described = ddb.describe_contributor_insights(TableName=name)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert sorted(r.split("-")[1] for r in described["ContributorInsightsRuleList"]) == ["PKC", "PKT", "SKC", "SKT"]
    assert all(r.startswith("DynamoDBContributorInsights-") and name in r for r in described["ContributorInsightsRuleList"])
    ddb.update_contributor_insights(TableName=name, IndexName="byG", ContributorInsightsAction="ENABLE")
    listed = ddb.list_contributor_insights(TableName=name)["ContributorInsightsSummaries"]
    assert [(s["TableName"], s.get("IndexName")) for s in listed] == [(name, None), (name, "byG")]
    with pytest.raises(ClientError) as e:
        ddb.update_contributor_insights(TableName=name, IndexName="nope", ContributorInsightsAction="ENABLE")
    assert error_code(e) == "ResourceNotFoundException"

    # A skewed workload: "hot" gets 60 writes and reads, the others a few each.
    for i in range(60):
        ddb.put_item(TableName=name, Item={"pk": {"S": "hot"}, "sk": {"N": str(i % 3)}, "g": {"S": "red"}})
        ddb.get_item(TableName=name, Key={"pk": {"S": "hot"}, "sk": {"N": "0"}})
    for i in range(20):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"cold{i}"}, "sk": {"N": "1"}, "g": {"S": "blue"}})
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "warm"}, "sk": {"N": str(i)}, "g": {"S": "blue"}}}}
                                              for i in range(10)]})
    ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "red"}})

    partitions = admin_report(server, {"TableName": name, "Rule": "PKC", "MaxContributorCount": 3})["Contributors"]
    assert partitions[0]["Keys"] == [{"S": "hot"}] and partitions[0]["ApproximateAggregateValue"] == 120
    assert partitions[1]["Keys"] == [{"S": "warm"}] and partitions[1]["ApproximateAggregateValue"] == 10
    items = admin_report(server, {"TableName": name, "Rule": "SKC", "MaxContributorCount": 1})["Contributors"]
    assert items == [{"Keys": [{"S": "hot"}, {"N": "0"}], "ApproximateAggregateValue": 80, "MaximumError": 0}]
    by_index = admin_report(server, {"TableName": name, "IndexName": "byG", "Rule": "PKC"})["Contributors"]
    assert by_index[0]["Keys"] == [{"S": "red"}] and by_index[0]["ApproximateAggregateValue"] == 3
    assert admin_report(server, {"TableName": name, "Rule": "PKT"})["Contributors"] == []

    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    line = next(l for l in metrics.splitlines() if l.startswith("shoal_contributor_insights_requests") and f'table="{name}"' in l
                and 'rule="PKC"' in l and 'index=""' in l and '"S\\":\\"hot\\"' in l)
    assert line.endswith(" 120.0") or line.endswith(" 120")

    disabled = json.loads(aws(server, "update-contributor-insights", "--table-name", name, "--contributor-insights-action", "DISABLE").stdout)
    assert disabled["ContributorInsightsStatus"] == "DISABLING"
    assert json.loads(aws(server, "describe-contributor-insights", "--table-name", name).stdout)["ContributorInsightsStatus"] == "DISABLED"
    assert admin_report(server, {"TableName": name, "Rule": "PKC"})["Contributors"] == []
    assert [s.get("IndexName") for s in json.loads(aws(server, "list-contributor-insights", "--table-name", name).stdout)[
        "ContributorInsightsSummaries"]] == ["byG"]
    ddb.delete_table(TableName=name)
