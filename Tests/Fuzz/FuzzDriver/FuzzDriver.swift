import Dispatch
// The bridge to libFuzzer (built with `-sanitize=fuzzer`): hands it a callback and exits with its
// status. Only `tools/fuzz` builds the fuzz targets (SHOAL_FUZZ=1 adds them to the package).

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

private nonisolated(unsafe) var fuzzBody: (([UInt8]) -> Void)?

/// Runs libFuzzer with `body` as the function under test; never returns.
public func runFuzzer(_ body: @escaping ([UInt8]) -> Void) -> Never {
    fuzzBody = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        fuzzBody?(bytes)
        return 0
    }
    exit(status)
}

/// Runs async work to its end from libFuzzer's synchronous callback (which is on a thread of its
/// own, never one of the cooperative pool's, so waiting here cannot starve the work).
public func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

#if canImport(Glibc)
import Glibc
#endif
