-- wrk: PutItem of new ~200-byte items (a fresh key per request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00"

local thread_id = 0
local counter = 0
local payload = string.rep("x", 150)

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  thread_id = math.random(1, 1000000000)
end

request = function()
  counter = counter + 1
  return wrk.format(nil, "/", nil, '{"TableName":"Bench","Item":{"pk":{"S":"w-' .. thread_id .. '-' .. counter ..
    '"},"n":{"N":"' .. counter .. '"},"payload":{"S":"' .. payload .. '"}}}')
end
