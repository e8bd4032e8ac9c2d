-- wrk: GetRecords of one fixed iterator (ITERATOR), so every request reads the same first page of
-- LIMIT records of a stream shard: the server's rate of building and sending full pages.
local iterator = os.getenv("ITERATOR")
local limit = os.getenv("LIMIT") or "1000"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDBStreams_20120810.GetRecords"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00"
wrk.body = '{"ShardIterator":"' .. iterator .. '","Limit":' .. limit .. '}'
