import Foundation
import Testing
@testable import Shoal
@testable import ShoalServer

@Suite struct PolicyDocumentTests {
    static let table = "arn:aws:dynamodb:us-east-1:000000000000:table/Orders"
    static let bob = Principal(arn: "arn:aws:iam::111122223333:user/bob")
    static let alice = Principal(arn: "arn:aws:iam::000000000000:user/alice")

    static func document(_ statements: [[String: Any]]) throws -> PolicyDocument {
        let data = try JSONSerialization.data(withJSONObject: ["Version": "2012-10-17", "Statement": statements])
        return try PolicyDocument(String(decoding: data, as: UTF8.self), ownerArn: table)
    }

    @Test func wildcardsMatchAsIAMDoes() {
        #expect(PolicyDocument.matches(pattern: "dynamodb:Get*", "dynamodb:GetItem"))
        #expect(PolicyDocument.matches(pattern: "DynamoDB:getitem", "dynamodb:GetItem", caseInsensitive: true))
        #expect(!PolicyDocument.matches(pattern: "dynamodb:Get*", "dynamodb:BatchGetItem"))
        #expect(PolicyDocument.matches(pattern: "*", ""))
        #expect(PolicyDocument.matches(pattern: "a?c*e", "abcdde"))
        #expect(!PolicyDocument.matches(pattern: "a?c", "ac"))
        #expect(PolicyDocument.matches(pattern: "\(PolicyDocumentTests.table)/index/*", "\(PolicyDocumentTests.table)/index/byCustomer"))
        #expect(!PolicyDocument.matches(pattern: PolicyDocumentTests.table, "\(PolicyDocumentTests.table)/index/byCustomer"))
        // A statement binds its table whatever region a signature names.
        #expect(PolicyDocument.matchesResource(pattern: PolicyDocumentTests.table, "arn:aws:dynamodb:eu-west-1:000000000000:table/Orders"))
        #expect(!PolicyDocument.matchesResource(pattern: PolicyDocumentTests.table, "arn:aws:dynamodb:eu-west-1:000000000000:table/Orders2"))
    }

    @Test func principalsActionsResourcesAndExplicitDeny() throws {
        let policy = try PolicyDocumentTests.document([
            ["Effect": "Allow", "Principal": ["AWS": ["111122223333"]], "Action": "dynamodb:Get*", "Resource": PolicyDocumentTests.table],
            ["Effect": "Allow", "Principal": ["AWS": "arn:aws:iam::111122223333:user/bob"], "NotAction": ["dynamodb:Delete*"],
             "Resource": "\(PolicyDocumentTests.table)/index/*"],
            ["Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem", "NotResource": PolicyDocumentTests.table],
            ["Effect": "Deny", "Principal": ["AWS": "arn:aws:iam::000000000000:root"], "Action": "*", "Resource": "\(PolicyDocumentTests.table)/stream/*"],
        ])
        let index = "\(PolicyDocumentTests.table)/index/byCustomer"
        #expect(policy.decision(principal: PolicyDocumentTests.bob, action: "dynamodb:GetItem", resource: PolicyDocumentTests.table) == true)
        #expect(policy.decision(principal: PolicyDocumentTests.bob, action: "dynamodb:PutItem", resource: PolicyDocumentTests.table) == nil)
        #expect(policy.decision(principal: PolicyDocumentTests.bob, action: "dynamodb:Query", resource: index) == true)
        #expect(policy.decision(principal: PolicyDocumentTests.bob, action: "dynamodb:DeleteItem", resource: index) == nil)
        // The deny on every resource but the table covers GetItem on the index, and wins.
        #expect(policy.decision(principal: PolicyDocumentTests.bob, action: "dynamodb:GetItem", resource: index) == false)
        #expect(policy.decision(principal: PolicyDocumentTests.alice, action: "dynamodb:GetItem", resource: PolicyDocumentTests.table) == nil)
        // The account's root ARN names every principal of the account.
        #expect(policy.decision(principal: PolicyDocumentTests.alice, action: "dynamodb:DescribeStream",
                                resource: "\(PolicyDocumentTests.table)/stream/2026-01-01T00:00:00.000") == false)
        #expect(PolicyDocumentTests.alice.isOwnAccount && !PolicyDocumentTests.bob.isOwnAccount)
        #expect(Principal(arn: nil).arn == "arn:aws:iam::000000000000:root")
    }

    @Test func refusesWhatItWouldNotEvaluate() throws {
        let table = PolicyDocumentTests.table
        let refused: [[[String: Any]]] = [
            [["Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": table, "Condition": ["Bool": ["a": "b"]]]],
            [["Effect": "Allow", "NotPrincipal": ["AWS": "*"], "Action": "dynamodb:GetItem", "Resource": table]],
            [["Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "NotAction": "dynamodb:PutItem", "Resource": table]],
            [["Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem"]],
            [["Effect": "Allow", "Principal": "*", "Action": [], "Resource": table]],
            [],
        ]
        for statements in refused {
            #expect(throws: ProtocolError.self) { _ = try PolicyDocumentTests.document(statements) }
        }
    }

    @Test func requestsNameTheirActionsAndResources() {
        let region = "us-east-1"
        let accesses = RequestAuthorization.accesses(operation: "TransactWriteItems", body: .object([("TransactItems", .array([
            .object([("Put", .object([("TableName", .string("A"))]))]),
            .object([("ConditionCheck", .object([("TableName", .string("B"))]))]),
        ]))]), region: region)
        #expect(accesses == [.init(action: "dynamodb:PutItem", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/A"),
                             .init(action: "dynamodb:ConditionCheckItem", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/B")])
        #expect(RequestAuthorization.accesses(operation: "Query", body: .object([("TableName", .string("A")), ("IndexName", .string("i"))]),
                                              region: region)
                == [.init(action: "dynamodb:Query", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/A/index/i")])
        #expect(RequestAuthorization.accesses(operation: "ExecuteStatement", body: .object([("Statement", .string("DELETE FROM \"A\" WHERE pk = 'x'"))]),
                                              region: region)
                == [.init(action: "dynamodb:PartiQLDelete", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/A")])
        #expect(RequestAuthorization.accesses(operation: "ListTables", body: .object([]), region: region)
                == [.init(action: "dynamodb:ListTables", resource: nil)])
    }
}
