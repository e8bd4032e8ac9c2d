public struct UpdateTableRequest: Sendable {
    public var tableName: String
    public var billingMode: BillingMode?
    public var provisionedThroughput: ProvisionedThroughput?

    public init(tableName: String, billingMode: BillingMode? = nil, provisionedThroughput: ProvisionedThroughput? = nil) {
        self.tableName = tableName
        self.billingMode = billingMode
        self.provisionedThroughput = provisionedThroughput
    }
}

extension Database {
    /// DynamoDB's UpdateTable for what a Shoal table has to change so far: its billing mode and
    /// provisioned throughput (recorded and reported; Shoal throttles nothing).
    public func updateTable(_ request: UpdateTableRequest) throws(ShoalError) -> TableDescription {
        guard request.billingMode != nil || request.provisionedThroughput != nil else {
            throw .validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
        }
        let handle = try changeDefinition(request.tableName) { definition throws(ShoalError) in
            let mode = request.billingMode ?? definition.billingMode
            switch mode {
            case .payPerRequest:
                if request.provisionedThroughput != nil {
                    throw .invalidParameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
                }
                definition.provisionedThroughput = nil
            case .provisioned:
                guard let throughput = request.provisionedThroughput ?? definition.provisionedThroughput else {
                    throw .invalidParameter("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
                }
                guard throughput.readCapacityUnits >= 1, throughput.writeCapacityUnits >= 1 else {
                    throw .invalidParameter("Each ReadCapacityUnits and WriteCapacityUnits must be greater than or equal to 1")
                }
                definition.provisionedThroughput = throughput
            }
            definition.billingMode = mode
        }
        return try describe(handle, status: .active)
    }
}
