import ConcordBench
import Foundation
import FuzzDriver

/// Any bytes into the scenario loader (JSON decoding plus validation).
@main enum ScenarioJSONFuzz: FuzzTarget {
    static func fuzz(_ bytes: [UInt8]) {
        _ = try? ScenarioLoader.decode(data: Data(bytes), file: "fuzz.json")
    }
}
