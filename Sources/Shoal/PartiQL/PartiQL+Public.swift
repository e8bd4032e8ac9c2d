/// What tools can learn of a statement without running it.
public enum PartiQLStatementInfo {
    /// The attribute names a SELECT's projection list gives its results, in the order listed
    /// (`SELECT a, b.c` → `["a", "c"]`); nil for `SELECT *`, another statement, or one that does not parse.
    public static func columns(of statement: String) -> [String]? {
        guard case .select(let select)? = try? PartiQLParser.parse(statement), let paths = select.projection else { return nil }
        return paths.map { PartiQLProjection.leafName(DocumentPath($0)) }
    }
}
