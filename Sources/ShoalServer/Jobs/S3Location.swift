import Foundation

/// An S3 bucket and key prefix, mapped onto a local folder: `s3://bucket/a/b` is
/// `ROOT/bucket/a/b` under the server's S3 root (`shoal serve --s3-root`). Bucket names follow
/// S3's rules and prefixes may not climb out of the bucket, so a request can never name a file
/// outside the root.
struct S3Location {
    let root: String
    let bucket: String
    /// The key prefix as given (nil or empty: the bucket's top).
    let prefix: String?

    /// - Throws: a ValidationException naming what is wrong.
    init(root: String?, bucket: String, prefix: String?, field: String) throws(ProtocolError) {
        guard let root else {
            throw .validation("This server has no S3 root: start it with shoal serve --s3-root DIR (s3://bucket/prefix is then DIR/bucket/prefix)")
        }
        guard S3Location.isBucketName(bucket) else {
            throw .validation("Invalid \(field) '\(bucket)': a bucket name is 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit")
        }
        if let prefix {
            guard prefix.utf8.count <= 1024, !prefix.utf8.contains(0) else {
                throw .validation("Invalid S3 prefix: at most 1024 bytes, without NUL")
            }
            guard !prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) else {
                throw .validation("Invalid S3 prefix '\(prefix)': '.' and '..' segments are not accepted here")
            }
        }
        self.root = root
        self.bucket = bucket
        self.prefix = prefix
    }

    static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return alphanumeric(bytes.first!) && alphanumeric(bytes.last!) && bytes.allSatisfy { alphanumeric($0) || $0 == 0x2E || $0 == 0x2D }
    }

    var bucketPath: String { root + "/" + bucket }

    /// The folder the prefix names (an export writes `AWSDynamoDB/…` under it).
    var folder: String {
        let segments = (prefix ?? "").split(separator: "/").map(String.init)
        return ([bucketPath] + segments).joined(separator: "/")
    }

    /// The regular files of the bucket whose keys start with the prefix, in key order (symbolic
    /// links are not followed). - Returns: (key, path) pairs.
    func objects() -> [(key: String, path: String)] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: bucketPath) else { return [] }
        var found: [(key: String, path: String)] = []
        while let relative = enumerator.nextObject() as? String {
            let key = relative
            guard key.hasPrefix(prefix ?? "") else { continue }
            let path = bucketPath + "/" + relative
            guard let attributes = try? manager.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            found.append((key, path))
        }
        return found.sorted { $0.key < $1.key }
    }
}
