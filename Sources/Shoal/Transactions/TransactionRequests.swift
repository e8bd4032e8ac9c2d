/// DynamoDB's `ConditionCheck` action of a transaction: a condition on an item that is not written.
public struct ConditionCheckRequest: ConditionalWriteRequest, Sendable, Hashable {
    public var tableName: String
    public var key: Item
    /// The condition and its placeholders (also readable and writable as this request's members).
    public var conditions: ConditionMembers

    public init(tableName: String, key: Item, conditionExpression: String? = nil, condition: Condition? = nil,
                expressionAttributeNames: [String: String]? = nil, expressionAttributeValues: [String: AttributeValue]? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.key = key
        conditions = ConditionMembers(conditionExpression: conditionExpression, condition: condition, expressionAttributeNames: expressionAttributeNames,
                                      expressionAttributeValues: expressionAttributeValues,
                                      returnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailure)
    }
}

/// One action of a TransactWriteItems. The single-item requests carry the action's members
/// (`ReturnValues`, `Expected`, `AttributeUpdates` and `ConditionalOperator` are not allowed here,
/// as DynamoDB's transaction actions have none).
public enum TransactWriteAction: Sendable, Hashable {
    case put(PutItemRequest)
    case update(UpdateItemRequest)
    case delete(DeleteItemRequest)
    case conditionCheck(ConditionCheckRequest)

    var tableName: String {
        switch self {
        case let .put(r): r.tableName
        case let .update(r): r.tableName
        case let .delete(r): r.tableName
        case let .conditionCheck(r): r.tableName
        }
    }
}

public struct TransactWriteItemsRequest: Sendable, Hashable {
    public var actions: [TransactWriteAction]
    /// Makes the call idempotent for 10 minutes (1–36 characters).
    public var clientRequestToken: String?
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics

    public init(actions: [TransactWriteAction], clientRequestToken: String? = nil,
                returnItemCollectionMetrics: ReturnItemCollectionMetrics = .none) {
        self.actions = actions
        self.clientRequestToken = clientRequestToken
        self.returnItemCollectionMetrics = returnItemCollectionMetrics
    }
}

/// The capacity a transaction consumed on one table: twice the units of the same reads and
/// writes outside a transaction, as DynamoDB counts them.
public struct TableCapacity: Sendable, Equatable {
    public var tableName: String
    public var readUnits: Double = 0
    public var writeUnits: Double = 0
    /// The split between the table and its indexes (`ReturnConsumedCapacity: INDEXES`).
    public var capacity = ConsumedCapacity()

    public init(tableName: String) { self.tableName = tableName }

    public var total: Double { readUnits + writeUnits }
}

public struct TransactWriteItemsResponse: Sendable, Equatable {
    /// By table, in the order the tables first appear in the request.
    public var consumedCapacity: [TableCapacity] = []
    /// With `returnItemCollectionMetrics: .size`: the collections written, by table name
    /// (tables with local secondary indexes).
    public var itemCollectionMetrics: [String: [ItemCollectionMetrics]] = [:]
}

/// One `Get` of a TransactGetItems.
public struct TransactGetRequest: Sendable, Equatable {
    public var tableName: String
    public var key: Item
    public var projectionExpression: String?
    public var expressionAttributeNames: [String: String]?

    public init(tableName: String, key: Item, projectionExpression: String? = nil, expressionAttributeNames: [String: String]? = nil) {
        self.tableName = tableName
        self.key = key
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
    }
}

public struct TransactGetItemsResponse: Sendable, Equatable {
    /// One per `Get`, in order: the item, or nil when there is none.
    public var items: [LazyItem?]
    public var consumedCapacity: [TableCapacity]
}
