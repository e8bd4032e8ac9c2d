import LMDB

/// One validated action of a TransactWriteItems, ready to be planned on its item's shard.
struct TransactAction: Sendable {
    enum Kind: Sendable {
        case put(PreparedPut)
        case update(PreparedUpdate)
        case delete(PreparedDelete)
        case check(condition: Condition, returnOldOnFailure: Bool)
    }

    let kind: Kind
    /// The action's place in the request (0-based).
    let position: Int
    let handle: TableHandle
    let key: ItemKey
    let encodedKey: [UInt8]
    let token: UInt64
    /// The bytes the action adds to the transaction's size (a put's item).
    let requestBytes: Int

    var tableID: String { handle.definition.id }
    var tableName: String { handle.definition.name }
    var lock: ItemLockKey { ItemLockKey(tableID: tableID, key: encodedKey) }
    var writes: Bool { if case .check = kind { false } else { true } }

    /// Validates one action as DynamoDB does before looking at any item.
    init(_ action: TransactWriteAction, position: Int, handle: TableHandle) throws(ShoalError) {
        self.position = position
        self.handle = handle
        let member = "transactItems.\(position + 1).member"
        switch action {
        case let .put(request):
            guard request.returnValues == .none else {
                throw .validation("ReturnValues is not supported in a transaction's Put")
            }
            try TransactAction.noLegacy(request.conditions.usesLegacy)
            var put = try PreparedPut(handle: handle, item: request.item)
            put.condition = try request.conditions.resolve()
            put.returnOldOnFailure = request.conditions.returnsOldOnFailure
            put.insertOnly = request.insertOnly
            (key, encodedKey, token, requestBytes) = (put.key, put.encodedKey, put.token, put.size)
            kind = .put(put)
        case let .update(request):
            guard request.returnValues == .none else {
                throw .validation("ReturnValues is not supported in a transaction's Update")
            }
            try TransactAction.noLegacy(request.conditions.usesLegacy || request.attributeUpdates != nil)
            guard request.updateExpression != nil || request.update != nil else {
                throw .validation("1 validation error detected: Value null at '\(member).update.updateExpression' failed to satisfy constraint: Member must not be null")
            }
            let update = try PreparedUpdate(handle: handle, request: request)
            (key, encodedKey, token, requestBytes) = (update.key, update.encodedKey, update.token, 0)
            kind = .update(update)
        case let .delete(request):
            guard request.returnValues == .none else {
                throw .validation("ReturnValues is not supported in a transaction's Delete")
            }
            try TransactAction.noLegacy(request.conditions.usesLegacy)
            var delete = try PreparedDelete(handle: handle, key: request.key)
            delete.condition = try request.conditions.resolve()
            delete.returnOldOnFailure = request.conditions.returnsOldOnFailure
            (key, encodedKey, token, requestBytes) = (delete.key, delete.encodedKey, delete.token, 0)
            kind = .delete(delete)
        case let .conditionCheck(request):
            guard request.conditionExpression != nil || request.condition != nil else {
                throw .validation("1 validation error detected: Value null at '\(member).conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
            }
            key = try handle.key.key(fromKey: request.key)
            (token, encodedKey) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
            try TransactAction.noLegacy(request.conditions.usesLegacy)
            guard let condition = try request.conditions.resolve() else { throw .internalError("A condition check without a condition") }
            requestBytes = 0
            kind = .check(condition: condition, returnOldOnFailure: request.conditions.returnsOldOnFailure)
        }
    }

    /// The error of an action's key against its table's schema (missing, mistyped, empty or too
    /// long key attributes), or nil when the key fits.
    static func keyProblem(_ action: TransactWriteAction, handle: TableHandle) -> ShoalError? {
        do throws(ShoalError) {
            switch action {
            case .put(let request): _ = try handle.key.key(ofItem: request.item)
            case .update(let request): _ = try handle.key.key(fromKey: request.key)
            case .delete(let request): _ = try handle.key.key(fromKey: request.key)
            case .conditionCheck(let request): _ = try handle.key.key(fromKey: request.key)
            }
            return nil
        } catch {
            return error
        }
    }

    private static func noLegacy(_ used: Bool) throws(ShoalError) {
        if used { throw .validation("Legacy parameters (Expected, ConditionalOperator, AttributeUpdates) cannot be used in a transaction") }
    }

    /// Reads the action's item on the shard writer and decides what it would do, writing nothing.
    func plan(in context: WriteContext) throws -> ActionPlan {
        let table = try context.table(tableID)
        let schema = handle.key
        let found = try StoredItem.read(table.items, key: encodedKey, expecting: key, schema: schema, in: context,
                                        decode: true, forWrite: false)
        let old = found.flatMap { found in found.item.map { OldItem(item: $0, size: found.size) } }
        func failed(_ condition: Condition?, returnOld: Bool) -> ActionPlan? {
            guard let condition, !ConditionEvaluator.evaluate(condition, on: old?.item) else { return nil }
            return .failed(.conditionFailed(returnOld ? old?.item : nil))
        }
        switch kind {
        case let .put(put):
            if put.insertOnly && old != nil { return .failed(.duplicateItem) }
            if let failure = failed(put.condition, returnOld: put.returnOldOnFailure) { return failure }
            let new = NewItem(item: put.item, value: put.value, size: put.size)
            return .write(PlannedWrite(tableID: tableID, key: encodedKey, old: old, new: new), bytes: max(put.size, old?.size ?? 0))
        case let .update(update):
            if let failure = failed(update.condition, returnOld: update.returnOldOnFailure) { return failure }
            let u = update.update
            if old == nil && u.set.isEmpty && u.add.isEmpty && !(u.remove.isEmpty && u.delete.isEmpty) {
                return .read(bytes: 0)
            }
            let item: Item
            do {
                item = try update.applyUpdate(to: old?.item)
            } catch {
                return .failed(.validation(error.message))
            }
            let size = ItemValidation.size(of: item)
            if size > ItemValidation.maxItemSize {
                return .failed(.validation("Item size to update has exceeded the maximum allowed size"))
            }
            do {
                try ItemValidation.validate(item: item)
                for index in table.indexes { try index.rules.validate(item) }
            } catch {
                return .failed(.validation(error.message))
            }
            return .write(PlannedWrite(tableID: tableID, key: encodedKey, old: old, new: NewItem(item, size: size)),
                          bytes: max(size, old?.size ?? 0))
        case let .delete(delete):
            if let failure = failed(delete.condition, returnOld: delete.returnOldOnFailure) { return failure }
            guard let old else { return .read(bytes: 0) }
            return .write(PlannedWrite(tableID: tableID, key: encodedKey, old: old, new: nil), bytes: old.size)
        case let .check(condition, returnOld):
            if let failure = failed(condition, returnOld: returnOld) { return failure }
            return .read(bytes: old?.size ?? 0)
        }
    }
}

/// What one action of a transaction would do, decided on its shard before anything is written.
enum ActionPlan: Sendable {
    /// The action cannot succeed: the transaction is cancelled with this reason.
    case failed(CancellationReason)
    /// Writes (or deletes) the item; `bytes` counts for capacity.
    case write(PlannedWrite, bytes: Int)
    /// Writes nothing (a condition check, or a delete or update that finds nothing to change).
    case read(bytes: Int)

    var failure: CancellationReason? {
        if case let .failed(reason) = self { return reason }
        return nil
    }
}

/// An item a transaction writes: the item it replaces (read when planning) and the new one (nil to delete).
struct PlannedWrite: Sendable {
    let tableID: String
    let key: [UInt8]
    let old: OldItem?
    let new: NewItem?
}

extension WriteContext {
    /// Writes planned items through the one write path (indexes, sizes, stream records).
    /// - Returns: the capacity each write's indexes consumed, in order.
    func apply(_ writes: [PlannedWrite]) throws -> [ConsumedCapacity] {
        try writes.map { write in
            try writeItem(try table(write.tableID), tableID: write.tableID, key: write.key, old: write.old, new: write.new, origin: .client)
        }
    }
}
