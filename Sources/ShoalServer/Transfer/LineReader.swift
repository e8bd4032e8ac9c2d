import CompressNIO
import Foundation
import NIOCore
import Zlib

/// Reads a text file line by line, gunzipping it (or decompressing Zstandard) on the fly when it
/// starts with gzip's (or zstd's) magic bytes, in bounded memory. Lines are numbered from 1; `\r\n` endings lose their `\r`.
final class LineReader {
    let path: String
    private let file: FileHandle
    private var decompressor: (any NIODecompressor)?
    private var zstd: ZstdDecompressor?
    private var pending: [UInt8] = []
    private var start = 0
    private var finished = false
    private(set) var lineNumber = 0
    /// Bytes of the file read so far (compressed, when it is), for progress.
    private(set) var bytesRead = 0
    /// Longest line accepted: a line longer than this is reported, not buffered without bound.
    static let maxLine = 64 << 20

    init(path: String) throws {
        self.path = path
        file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        let head = Array(try file.read(upToCount: 4) ?? Data())
        try file.seek(toOffset: 0)
        if head == [0x28, 0xB5, 0x2F, 0xFD] {
            zstd = try ZstdDecompressor()
        } else if head.count >= 2, head[0] == 0x1F, head[1] == 0x8B {
            let decompressor = CompressionAlgorithm.gzip().decompressor
            try decompressor.startStream()
            self.decompressor = decompressor
        }
    }

    deinit { try? file.close() }

    struct LineTooLong: Error, CustomStringConvertible {
        var description: String { "line longer than \(LineReader.maxLine) bytes" }
    }

    /// The next line, or nil at the end of the file.
    func next() throws -> [UInt8]? {
        while true {
            if let newline = pending[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, pending[end - 1] == 0x0D { end -= 1 }
                let line = Array(pending[start..<end])
                start = newline + 1
                lineNumber += 1
                return line
            }
            if finished {
                guard start < pending.count else { return nil }
                let line = Array(pending[start...])
                start = pending.count
                lineNumber += 1
                return line
            }
            if pending.count - start > LineReader.maxLine { throw LineTooLong() }
            pending.removeFirst(start)
            start = 0
            try fill()
        }
    }

    private func fill() throws {
        guard let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty else {
            if let decompressor { try decompressor.finishStream() }
            if let zstd, !zstd.atFrameEnd { throw ZstdDecompressor.Failure(description: "the Zstandard data ends in the middle of a frame") }
            finished = true
            return
        }
        bytesRead += chunk.count
        if let zstd {
            pending.append(contentsOf: try zstd.decompress(Array(chunk), limit: LineReader.maxLine * 2))
            return
        }
        guard let decompressor else {
            pending.append(contentsOf: chunk)
            return
        }
        var input = ByteBuffer(bytes: chunk)
        while true {
            var output = ByteBufferAllocator().buffer(capacity: 4 << 20)
            do {
                try input.decompressStream(to: &output, with: decompressor)
                pending.append(contentsOf: output.readableBytesView)
                return
            } catch let error as CompressNIOError where error == .bufferOverflow {
                pending.append(contentsOf: output.readableBytesView)
            }
        }
    }
}
