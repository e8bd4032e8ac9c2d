import Foundation
import Synchronization

/// An error (or a delay) a test asks the database to inject into an operation, so client code's
/// handling of throttling, server errors and conflicts can be exercised (ShoalAdmin InjectFault).
public struct FaultSpecification: Sendable, Equatable {
    /// The errors a fault can inject, by DynamoDB's error type name.
    public enum ErrorType: String, Sendable, CaseIterable {
        case provisionedThroughputExceeded = "ProvisionedThroughputExceededException"
        case throttling = "ThrottlingException"
        case requestLimitExceeded = "RequestLimitExceeded"
        case internalServerError = "InternalServerError"
        /// A transaction cancelled with `TransactionConflict` reasons (TransactionConflictException for a single-item write).
        case transactionConflict = "TransactionConflict"
    }

    /// DynamoDB's operation name (`PutItem`, `TransactWriteItems`, …).
    public var operation: String
    /// Only requests on this table (nil: any).
    public var tableName: String?
    /// Nil: only the latency.
    public var error: ErrorType?
    /// Fire this many times, then the fault is gone (nil: use ``probability``, or always).
    public var count: Int?
    /// Fire on this fraction of matching requests, 0 to 1 (nil: every one).
    public var probability: Double?
    /// Delay matching requests by this much before answering.
    public var latency: Duration?

    public init(operation: String, tableName: String? = nil, error: ErrorType?, count: Int? = nil, probability: Double? = nil,
                latency: Duration? = nil) {
        self.operation = operation
        self.tableName = tableName
        self.error = error
        self.count = count
        self.probability = probability
        self.latency = latency
    }
}

/// What a matching fault does to one request.
public struct FiredFault: Sendable {
    public var error: ShoalError?
    public var latency: Duration?
}

/// The injected faults of a database, by id. Rules as a value: each request consults them once.
final class FaultRegistry: Sendable {
    private struct Entry {
        var id: String
        var specification: FaultSpecification
        var remaining: Int?
    }

    private let entries = Mutex<[Entry]>([])

    func add(_ specification: FaultSpecification) -> String {
        let id = UUID().uuidString.lowercased()
        entries.withLock { $0.append(Entry(id: id, specification: specification, remaining: specification.count)) }
        return id
    }

    func clear() { entries.withLock { $0.removeAll() } }

    /// Takes over `other`'s faults (a database opened again after a reshard or a rollback keeps them).
    func adopt(_ other: FaultRegistry) {
        let adopted = other.entries.withLock { $0 }
        entries.withLock { $0 += adopted }
    }

    var isEmpty: Bool { entries.withLock { $0.isEmpty } }

    /// The first fault matching `operation` on `tables` that fires (a counted one is used up).
    func fire(operation: String, tables: [String], random: () -> Double) -> FaultSpecification? {
        entries.withLock { entries in
            for index in entries.indices {
                let specification = entries[index].specification
                guard specification.operation == operation,
                      specification.tableName.map({ tables.contains($0) }) ?? true else { continue }
                if let probability = specification.probability, random() >= probability { continue }
                if let remaining = entries[index].remaining {
                    guard remaining > 0 else { continue }
                    entries[index].remaining = remaining - 1
                }
                entries.removeAll { $0.remaining == 0 }
                return specification
            }
            return nil
        }
    }
}

extension Database {
    /// Injects a fault (see ``FaultSpecification``). - Returns: its id.
    /// - Throws: a ValidationException for a count below 1 or a probability outside 0...1.
    public func injectFault(_ specification: FaultSpecification) throws(ShoalError) -> String {
        if let count = specification.count {
            try ConstraintViolations.requireRange(count, field: "count", min: 1, max: Int(Int32.max))
        }
        if let probability = specification.probability, !(0...1).contains(probability) {
            throw .validation("Probability must be between 0 and 1")
        }
        if specification.count != nil && specification.probability != nil {
            throw .validation("Give Count or Probability, not both")
        }
        guard specification.error != nil || specification.latency != nil else {
            throw .validation("A fault needs an Error or a LatencyMillis")
        }
        return faults.add(specification)
    }

    /// Removes every injected fault.
    public func clearFaults() { faults.clear() }

    /// Whether any fault is injected (a request's one check when none is).
    public var hasFaults: Bool { !faults.isEmpty }

    /// The fault a request of `operation` on `tables` meets, if any: the error to answer with
    /// (in DynamoDB's words) and the delay to wait first.
    /// `actions`: a transaction's actions (one cancellation reason each).
    public func fault(for operation: String, tables: [String], actions: Int = 1) -> FiredFault? {
        guard !faults.isEmpty, let specification = faults.fire(operation: operation, tables: tables, random: { Double.random(in: 0..<1) }) else {
            return nil
        }
        return FiredFault(error: specification.error.map { Database.faultError($0, operation: operation, actions: actions) },
                          latency: specification.latency)
    }

    static func faultError(_ type: FaultSpecification.ErrorType, operation: String, actions: Int) -> ShoalError {
        switch type {
        case .provisionedThroughputExceeded:
            return ShoalError(.provisionedThroughputExceeded,
                              "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")
        case .throttling:
            return ShoalError(.throttling, "Rate of requests exceeds the allowed throughput.")
        case .requestLimitExceeded:
            return ShoalError(.requestLimitExceeded, "Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase")
        case .internalServerError:
            return ShoalError(.internalServerError, "Injected fault")
        case .transactionConflict:
            guard operation == "TransactWriteItems" || operation == "TransactGetItems" || operation == "ExecuteTransaction" else {
                return ShoalError(.transactionConflict, "Transaction is ongoing for the item")
            }
            return .transactionCanceled([CancellationReason](repeating: CancellationReason(code: "TransactionConflict",
                                                                                           message: "Transaction is ongoing for the item"),
                                                              count: max(actions, 1)))
        }
    }
}
