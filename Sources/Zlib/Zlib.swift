import CZlib

/// zlib's checksums and a strict inflater (and, in `Zstd.swift`, libzstd's decompressor): with `LMDB`, the only modules with unsafe pointers.
public enum Zlib {
    /// CRC-32 (IEEE 802.3) of `bytes`, computed by zlib.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = CZlib.crc32(0, nil, 0)
            var offset = 0
            // zlib takes a 32-bit length.
            while offset < buffer.count {
                let count = min(buffer.count - offset, Int(UInt32.max))
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, UInt32(count))
                offset += count
            }
            return UInt32(crc)
        }
    }

    /// The framing around deflate data.
    public enum Format: Sendable {
        /// RFC 1952; several members back to back are one stream, as gzip itself reads them.
        case gzip
        /// RFC 1950 (what HTTP calls `deflate`); exactly one stream.
        case zlib
    }

    public enum InflateError: Error, Equatable {
        /// The input is not in the format, is damaged, or ends before its trailer.
        case invalid
        /// The output would be larger than the limit.
        case tooLarge
    }

    /// Decompresses `input` completely: every byte must belong to a finished stream (with its
    /// checksum trailer verified by zlib), and the output may not exceed `limit` bytes.
    public static func inflate(_ input: [UInt8], format: Format, limit: Int) throws(InflateError) -> [UInt8] {
        guard !input.isEmpty else { throw .invalid }
        var stream = z_stream()
        let windowBits: Int32 = format == .gzip ? 15 + 16 : 15
        guard shoal_inflateInit2(&stream, windowBits) == Z_OK else { throw .invalid }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var consumed = 0
        var result: Result<Void, InflateError> = .success(())
        input.withUnsafeBufferPointer { source in
            while true {
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + consumed)
                stream.avail_in = UInt32(min(source.count - consumed, Int(UInt32.max)))
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let read = source.count - consumed - Int(stream.avail_in)
                consumed += read
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit {
                    result = .failure(.tooLarge)
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    guard consumed < source.count else { return }
                    // Another gzip member follows; zlib data must end here.
                    guard format == .gzip, inflateReset(&stream) == Z_OK else {
                        result = .failure(.invalid)
                        return
                    }
                case Z_OK:
                    // No progress with input left, or input used up before the stream ended.
                    if read == 0 && produced == 0 || consumed == source.count && stream.avail_out > 0 {
                        result = .failure(.invalid)
                        return
                    }
                default:
                    result = .failure(.invalid)
                    return
                }
            }
        }
        try result.get()
        return output
    }
}
