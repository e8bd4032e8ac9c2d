import CZstd

/// A streaming Zstandard decompressor (libzstd's), for ImportTable's `ZSTD` input: frames back to
/// back are one stream, as the `zstd` tool reads them.
public final class ZstdDecompressor {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private let stream: OpaquePointer
    /// Whether the last frame seen was complete (false in the middle of one).
    public private(set) var atFrameEnd = true

    public init() throws(Failure) {
        guard let stream = ZSTD_createDStream() else { throw Failure(description: "cannot create a zstd stream") }
        self.stream = stream
        let status = ZSTD_initDStream(stream)
        if ZSTD_isError(status) != 0 {
            ZSTD_freeDStream(stream)
            throw Failure(description: String(cString: ZSTD_getErrorName(status)))
        }
    }

    deinit { ZSTD_freeDStream(stream) }

    /// Decompresses a chunk of the stream. - Returns: what it produced (at most `limit` bytes more
    /// than fit in one of libzstd's output blocks).
    /// - Throws: ``Failure`` when the input is not Zstandard or is damaged, or the output passes `limit`.
    public func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        var block = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var failure: Failure?
        input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while failure == nil {
                let (status, produced) = block.withUnsafeMutableBytes { target -> (Int, Int) in
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let status = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                    return (status, outBuffer.pos)
                }
                if ZSTD_isError(status) != 0 {
                    failure = Failure(description: "not valid Zstandard data: " + String(cString: ZSTD_getErrorName(status)))
                    break
                }
                output.append(contentsOf: block[0..<produced])
                if output.count > limit {
                    failure = Failure(description: "the decompressed data is larger than \(limit) bytes")
                    break
                }
                atFrameEnd = status == 0
                // All input taken and the output block not filled: nothing more to flush now.
                if inBuffer.pos == inBuffer.size && produced < block.count { break }
            }
        }
        if let failure { throw failure }
        return output
    }
}
