import AudioFiles
import Foundation
@testable import Concord

enum Fixtures {
    /// The fixture at `fixtures/NAME`, read through libsndfile.
    static func samples(_ name: String) throws -> [Float] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try WAVReader.readMono48k(path: root.appendingPathComponent("fixtures/\(name)").path)
    }
}
