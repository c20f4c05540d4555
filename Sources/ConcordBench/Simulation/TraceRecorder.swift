import Foundation
import SimNet

/// Records what a simulated path does to a voice-like stream (one datagram of `bytes` every
/// `intervalMilliseconds`) as a SimNet trace CSV: the file `concord-bench trace` replays.
public enum TraceRecorder {
    public static func record(
        preset: String, seconds: Double, seed: UInt64, intervalMilliseconds: Double = 20, bytes: Int = 100
    ) throws(ScenarioError) -> String {
        guard let conditions = PathConditions.preset(named: preset) else {
            throw ScenarioError(
                file: "command line", field: "--network",
                reason: "unknown preset \"\(preset)\"; known: \(PathConditions.presetNames.joined(separator: ", "))")
        }
        guard seconds > 0, seconds <= 3_600 else {
            throw ScenarioError(file: "command line", field: "--duration", reason: "\(seconds) is out of range (0, 3600]")
        }
        let simulator = Simulator()
        let network = Network(simulator: simulator, seed: seed, defaultConditions: conditions)
        let a = network.addHost(address: IPv4Address(10, 147, 17, 1))
        let b = network.addHost(address: IPv4Address(10, 147, 17, 2))
        b.bind(port: 9_993) { _, _ in }
        network.startRecording(from: a, to: b)
        let payload = [UInt8](repeating: 0, count: bytes)
        let count = Int(seconds * 1000 / intervalMilliseconds)
        for k in 0..<count {
            simulator.schedule(at: .milliseconds(Double(k) * intervalMilliseconds)) {
                a.send(from: 9_993, to: Endpoint(b.address, 9_993), payload: payload)
            }
        }
        simulator.runUntilIdle()
        return network.stopRecording(from: a, to: b)?.csv ?? ""
    }
}
