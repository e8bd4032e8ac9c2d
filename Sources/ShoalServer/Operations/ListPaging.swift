import Shoal

/// One page of a server-side list (ListExports, ListImports, ListContributorInsights): the
/// entries after the one a sealed `NextToken` names, at most `limit` of them, and the token of the
/// next page when there is one.
struct ListPage<Entry> {
    var entries: [Entry]
    var nextToken: String?

    /// - Parameters:
    ///   - all: the whole list, in its order.
    ///   - key: what names an entry in a token (sealed with the directory's secret).
    /// - Throws: a ValidationException for a token that is not one of ours or names no entry.
    init(_ all: [Entry], limit: Int, token: String?, database: Database, key: (Entry) -> String) throws(ProtocolError) {
        var rest = all[...]
        if let token {
            guard let after = database.openJobListToken(token), let position = all.firstIndex(where: { key($0) == after }) else {
                throw .validation("Invalid NextToken")
            }
            rest = all[(position + 1)...]
        }
        entries = Array(rest.prefix(limit))
        nextToken = rest.count > limit ? entries.last.map { database.sealJobListToken(key($0)) } : nil
    }
}
