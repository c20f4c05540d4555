import Concord

/// Every change of loss protection each talker made during a run (adaptive protection), taken on
/// the thread that runs the simulator.
final class ProtectionLog {
    /// changes[t]: talker t's, in order.
    private(set) var changes: [[VoiceClient.ProtectionChange]]

    init(count: Int) { changes = Array(repeating: [], count: count) }

    func note(_ change: VoiceClient.ProtectionChange, talker t: Int) { changes[t].append(change) }
}
