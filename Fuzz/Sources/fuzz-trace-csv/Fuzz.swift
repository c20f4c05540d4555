import FuzzDriver
import SimNet

/// Any text into the delay/loss trace CSV parser.
@main enum TraceCSVFuzz: FuzzTarget {
    static func fuzz(_ bytes: [UInt8]) {
        _ = try? Trace.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.csv")
    }
}
