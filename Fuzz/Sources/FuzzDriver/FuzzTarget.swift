#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libFuzzer target: `@main enum SomeFuzz: FuzzTarget { static func fuzz(_ input: [UInt8]) { … } }`.
///
/// SwiftPM links debug executables with `main` aliased to `<module>_main` (testable
/// executables), which hides libFuzzer's own `main`; so the target's `main` hands control to
/// libFuzzer through `LLVMFuzzerRunDriver`.
public protocol FuzzTarget {
    /// One input; a crash or a trap here is a finding.
    static func fuzz(_ input: [UInt8])
}

extension FuzzTarget {
    public static func main() {
        fuzzOneInput = fuzz
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
    }
}

/// The running target's `fuzz`: a C callback cannot capture it, so it waits here.
nonisolated(unsafe) private var fuzzOneInput: ([UInt8]) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOneInput(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
