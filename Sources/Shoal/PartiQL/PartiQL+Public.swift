/// What tools can learn of a statement without running it.
public enum PartiQLStatementInfo {
    /// The attribute names a SELECT's projection list gives its results, in the order listed
    /// (`SELECT a, b.c` → `["a", "c"]`); nil for `SELECT *`, another statement, or one that does not parse.
    public static func columns(of statement: String) -> [String]? {
        guard case .select(let select)? = try? PartiQLParser.parse(statement), let paths = select.projection else { return nil }
        return paths.map { PartiQLProjection.leafName(DocumentPath($0)) }
    }

    /// The IAM action a statement needs (`dynamodb:PartiQLSelect`, `…Insert`, `…Update`,
    /// `…Delete`), the table it names and the index a SELECT reads; nil when it does not parse.
    public static func access(of statement: String) -> (action: String, table: String, index: String?)? {
        guard let parsed = try? PartiQLParser.parse(statement) else { return nil }
        switch parsed {
        case .select(let select), .exists(let select): return ("dynamodb:PartiQLSelect", select.table, select.index)
        case .insert(let table, _): return ("dynamodb:PartiQLInsert", table, nil)
        case .update(let update): return ("dynamodb:PartiQLUpdate", update.table, nil)
        case .delete(let table, _, _): return ("dynamodb:PartiQLDelete", table, nil)
        }
    }
}
