import LMDB

/// A table as the engine uses it: its definition and its storage in each shard.
final class TableHandle: Sendable {
    let definition: TableDefinition
    /// By shard index.
    let storages: [TableStorage]
    /// The rules of the indexes writes maintain.
    let indexRules: [IndexRules]

    init(definition: TableDefinition, storages: [TableStorage]) {
        self.definition = definition
        self.storages = storages
        indexRules = definition.maintainedIndexRules
    }

    var key: PrimaryKey { definition.primaryKey }

    /// The items database in shard `index`.
    func items(_ index: Int) -> LMDB.Database { storages[index].items }
}

extension TableDefinition {
    var maintainedIndexRules: [IndexRules] {
        allIndexes.filter(\.isMaintained).map { IndexRules($0, table: primaryKey) }
    }
}
