-- wrk: Query of one random partition of the BenchQ table (100 items of ~200 bytes, ~20 KB responses).
local partitions = tonumber(os.getenv("QUERY_PARTITIONS") or "100")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.Query"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  local p = math.random(0, partitions - 1)
  return wrk.format(nil, "/", nil, '{"TableName":"BenchQ","KeyConditionExpression":"pk = :p",' ..
    '"ExpressionAttributeValues":{":p":{"S":"q-' .. p .. '"}}}')
end
