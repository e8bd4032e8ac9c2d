-- wrk: GetItem of random existing keys of the Bench table (ITEMS of them).
local items = tonumber(os.getenv("ITEMS") or "10000")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  local k = math.random(0, items - 1)
  return wrk.format(nil, "/", nil, '{"TableName":"Bench","Key":{"pk":{"S":"user-' .. k .. '"}}}')
end
