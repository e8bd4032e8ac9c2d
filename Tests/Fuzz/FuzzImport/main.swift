// What `shoal import` reads from files: the first byte picks the input. A DynamoDB JSON line
// (`{"Item":{…}}`) is parsed, its key checked and the item validated as PutItem would; a CSV line is
// split and typed against a header and a key schema.
import FuzzDriver
import Foundation
@testable import Shoal
@testable import ShoalServer

let keys = try! TableKeys(description: JSONParser.parse(Array(#"""
    {"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
     "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}
    """#.utf8)))
let header = ["pk", "sk", "name", "b"]

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let rest = Array(bytes.dropFirst())
    switch selector % 2 {
    case 0:
        guard let item = try? DynamoDBJSONLine.item(rest) else { return }
        _ = keys.problem(with: item)
        _ = keys.identity(of: item)
        _ = try? ItemValidation.validate(item: item)
    default:
        _ = CSV.fields(rest)
        if let item = try? CSV.item(rest, header: header, keys: keys) { _ = keys.problem(with: item) }
    }
}
