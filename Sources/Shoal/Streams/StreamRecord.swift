import Foundation

/// One change of one item, as a table's stream carries it (DynamoDB Streams' record).
public struct StreamRecord: Sendable, Equatable {
    public enum EventName: String, Sendable, Codable {
        case insert = "INSERT"
        case modify = "MODIFY"
        case remove = "REMOVE"
    }

    /// Unique and stable for the record (derived from its shard and sequence number).
    public var eventID: String
    public var eventName: EventName
    /// Increasing within the record's stream shard; DynamoDB's decimal form (21 digits or more).
    public var sequenceNumber: String
    /// When the change committed, to the second (as DynamoDB reports it).
    public var approximateCreationDateTime: Date
    /// The item's key attributes. Read records hold their keys and images as views over the
    /// stored bytes (``LazyItem``): an attribute is decoded when it is read, and GetRecords and
    /// trigger event bodies are written from the bytes.
    public var keys: LazyItem
    /// The item after the change (NEW_IMAGE and NEW_AND_OLD_IMAGES; absent on REMOVE).
    public var newImage: LazyItem?
    /// The item before the change (OLD_IMAGE and NEW_AND_OLD_IMAGES; absent on INSERT).
    public var oldImage: LazyItem?
    /// The size of the keys and images, by DynamoDB's item-size rules.
    public var sizeBytes: Int
    public var streamViewType: StreamViewType
    /// When the change committed, to the millisecond (record age, windows and lag use it).
    public var committedAt: Date = .distantPast
    /// Who made the change when it was not a request: time to live's deletions say
    /// `Service` / `dynamodb.amazonaws.com`, as DynamoDB's records do.
    public var userIdentity: UserIdentity?

    public struct UserIdentity: Sendable, Equatable {
        public var type: String
        public var principalId: String

        /// Time to live's deletions.
        public static let timeToLive = UserIdentity(type: "Service", principalId: "dynamodb.amazonaws.com")
    }
}

/// How stream records are stored: per shard, keyed by the shard's record counter (8 bytes, big
/// endian, so LMDB's order is commit order), the value holding what the view type keeps.
enum StreamRecordCodec {
    /// Sequence numbers interleave the shard into the counter so that every record of a stream has
    /// its own: `counter × 1024 + shard`, written in decimal with at least 21 digits.
    static let shardSlots: UInt64 = 1024

    static func sequenceNumber(counter: UInt64, shard: Int) -> String {
        let digits = String(counter * shardSlots + UInt64(shard))
        return String(repeating: "0", count: max(0, 21 - digits.count)) + digits
    }

    /// The counter and shard of a sequence number, or nil when it is not one of ours.
    static func parse(sequenceNumber: String) -> (counter: UInt64, shard: Int)? {
        guard (21...40).contains(sequenceNumber.utf8.count), sequenceNumber.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let value = UInt64(sequenceNumber) else { return nil }
        return (value / shardSlots, Int(value % shardSlots))
    }

    static func key(counter: UInt64) -> [UInt8] {
        withUnsafeBytes(of: counter.bigEndian) { Array($0) }
    }

    static func counter(ofKey key: [UInt8]) -> UInt64? {
        guard key.count == 8 else { return nil }
        return key.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The record of a change, or nil when nothing changed (no record is written then).
    static func change(old: Item?, new: Item?) -> StreamRecord.EventName? {
        switch (old, new) {
        case (nil, nil): return nil
        case (nil, _?): return .insert
        case (_?, nil): return .remove
        case let (a?, b?): return a == b ? nil : .modify
        }
    }

    /// The stored value of a record: event, time (milliseconds), keys and the images the view keeps.
    static func encode(event: StreamRecord.EventName, time: Date, keys: Item, old: Item?, new: Item?, viewType: StreamViewType,
                       byService: Bool = false) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.byte(event == .insert ? 0 : event == .modify ? 1 : 2)
        w.varint(Int(time.timeIntervalSince1970 * 1000))
        w.lengthPrefixed(ItemCodec.encode(keys))
        let newImage = viewType.carriesNewImage ? new : nil
        let oldImage = viewType.carriesOldImage ? old : nil
        // Bit 4: a deletion by time to live (older records never set it).
        w.byte((newImage == nil ? 0 : 1) | (oldImage == nil ? 0 : 2) | (byService ? 4 : 0))
        if let newImage { w.lengthPrefixed(ItemCodec.encode(newImage)) }
        if let oldImage { w.lengthPrefixed(ItemCodec.encode(oldImage)) }
        return w.bytes
    }

    /// When a stored record's change committed (milliseconds since 1970), read without decoding the rest.
    static func timeMillis(_ value: [UInt8]) throws(ShoalError) -> Int {
        var r = ByteReader(value)
        _ = try r.byte()
        return try r.varint()
    }

    static func decode(_ value: [UInt8], counter: UInt64, shard: Int, viewType: StreamViewType) throws(ShoalError) -> StreamRecord {
        var r = ByteReader(value)
        let event: StreamRecord.EventName
        switch try r.byte() {
        case 0: event = .insert
        case 1: event = .modify
        case 2: event = .remove
        default: throw .internalError("A stream record is damaged")
        }
        let millis = try r.varint()
        let keys = try EncodedItem.checked(try r.lengthPrefixed(), from: 0)
        let flags = try r.byte()
        let newImage = flags & 1 != 0 ? try EncodedItem.checked(try r.lengthPrefixed(), from: 0) : nil
        let oldImage = flags & 2 != 0 ? try EncodedItem.checked(try r.lengthPrefixed(), from: 0) : nil
        let size = keys.size + (newImage?.size ?? 0) + (oldImage?.size ?? 0)
        let sequence = sequenceNumber(counter: counter, shard: shard)
        return StreamRecord(
            eventID: eventID(sequence), eventName: event, sequenceNumber: sequence,
            approximateCreationDateTime: Date(timeIntervalSince1970: (Double(millis) / 1000).rounded(.down)),
            keys: LazyItem(encoded: keys), newImage: newImage.map(LazyItem.init(encoded:)), oldImage: oldImage.map(LazyItem.init(encoded:)),
            sizeBytes: size, streamViewType: viewType,
            committedAt: Date(timeIntervalSince1970: Double(millis) / 1000),
            userIdentity: flags & 4 != 0 ? .timeToLive : nil)
    }

    /// A 32-hex-digit event id, stable for the record.
    static func eventID(_ sequenceNumber: String) -> String {
        let bytes = Array(sequenceNumber.utf8)
        let a = XXHash64.hash(bytes, seed: 0x5354_5245)
        let b = XXHash64.hash(bytes, seed: 0x414D_4944)
        return String(format: "%016llx%016llx", a, b)
    }
}
