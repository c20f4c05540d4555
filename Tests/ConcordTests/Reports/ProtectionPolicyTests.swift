import Testing
@testable import Concord
import SeededRandom

/// The protection controller on synthetic report streams: 50 packets a report (20 ms frames,
/// one report a second), losses drawn with a fixed seed.
@Suite struct ProtectionPolicyTests {
    /// Feeds `reports` reports of one listener whose loss per packet is `loss(k)` (in bursts of
    /// `burst` packets when > 1); returns the protection after each. Each report also says what
    /// the listener concealed under the protection in force: a lost frame none of the next
    /// `depth` packets brought back (FEC and one copy: the next packet; two copies: two).
    struct Path {
        var policy = ProtectionPolicy()
        var rng: SplitMix64
        var highest: UInt32 = 1_000
        var cumulative: UInt32 = 0
        var k = 0
        var changes: [(report: Int, protection: ProtectionPolicy.Protection)] = []

        init(seed: UInt64 = 77) { rng = SplitMix64(seed: seed) }

        mutating func run(_ reports: Int, loss: Double, burst: Int = 1, listener: PeerID = 1) {
            for _ in 0..<reports {
                var lost = [Bool](repeating: false, count: 50)
                var i = 0
                while i < 50 {
                    if Double(rng.next() % 1_000_000) / 1_000_000 < loss / Double(burst) {
                        let n = min(burst, 50 - i)
                        for j in i..<(i + n) { lost[j] = true }
                        i += n
                    } else {
                        i += 1
                    }
                }
                let depth =
                    switch policy.protection {
                    case .none: 0
                    case .fec: 1
                    case .copies(let n): n
                    }
                let concealed = lost.indices.filter { j in
                    lost[j] && !(1...max(1, depth)).contains { d in depth > 0 && j + d < 50 && !lost[j + d] }
                }.count
                highest += 50
                cumulative += UInt32(lost.filter { $0 }.count)
                let stream = ReceiverReport.Stream(
                    highestSequence: highest, cumulativeLost: cumulative,
                    fractionLost: ReceiverReport.Stream.per256(Double(lost.filter { $0 }.count) / 50),
                    concealedFraction: ReceiverReport.Stream.per65536(Double(concealed) / 50))
                if policy.take(stream, from: listener, at: .seconds(Double(k))) != nil { changes.append((k, policy.protection)) }
                k += 1
            }
        }
    }

    /// Steady paths settle on the level their loss calls for and stay there.
    @Test(arguments: [
        (0.0, ProtectionPolicy.Protection.none), (0.03, .fec(expectedLossPercent: 5)), (0.10, .copies(1)), (0.20, .copies(2)),
    ])
    func steadyPathSettlesAndStays(loss: Double, expected: ProtectionPolicy.Protection) {
        var path = Path()
        path.run(300, loss: loss)
        let late = path.changes.filter { $0.report >= 10 }
        #expect(late.isEmpty, "loss \(loss): changes after settling \(late.map { "\($0.report): \($0.protection)" })")
        #expect(path.policy.protection.level == expected.level, "loss \(loss): \(path.policy.protection)")
    }

    /// Near a threshold the level may sit on either side, but it does not flap.
    @Test(arguments: [0.005, 0.01, 0.06, 0.14])
    func nearAThresholdItDoesNotFlap(loss: Double) {
        var path = Path()
        path.run(300, loss: loss)
        #expect(path.changes.filter { $0.report >= 10 }.count <= 2, "loss \(loss): \(path.changes.map { "\($0.report): \($0.protection)" })")
    }

    /// A path that turns lossy gets protection within two reports and copies within three (the
    /// change is clear on the old path's rate before the level is); one that turns clean drops
    /// the copies within three reports, and everything within twenty.
    @Test func stepsUpQuicklyAndDownSafely() throws {
        var path = Path()
        path.run(20, loss: 0)
        // A new path starts with FEC and drops it after 8 clean report intervals (the ninth report).
        #expect(path.changes.map(\.report) == [8] && path.policy.protection == .none)
        path.run(20, loss: 0.10)
        let first = try #require(path.changes.first { $0.report >= 20 })
        #expect(first.report - 20 <= 1, "protection after \(first.report - 20 + 1) reports")
        let up = try #require(path.changes.first { $0.protection.level >= 2 })
        #expect(up.report - 20 <= 2, "copies after \(up.report - 20 + 1) reports")
        path.run(30, loss: 0)
        let down = try #require(path.changes.first { $0.report >= 40 })
        #expect(down.protection.level <= 1 && down.report - 40 <= 2, "\(down.protection) after \(down.report - 40 + 1) reports")
        let last = try #require(path.changes.last)
        #expect(last.protection == .none && last.report - 40 <= 20, "none after \(last.report - 40 + 1) reports")
    }

    /// A clear change sets the level from the loss since, up to one copy: from a clean path to
    /// 30 % loss one copy comes at the first reports, two only once a window shows them needed;
    /// a rise seen while two copies are in use (bursts) does not take one away.
    @Test func aChangeGivesOneCopyAndEvidenceTheSecond() throws {
        var path = Path()
        path.run(20, loss: 0)
        path.run(3, loss: 0.30)
        let first = try #require(path.changes.first { $0.report >= 20 })
        #expect(first.protection == .copies(1) && first.report - 20 <= 1, "\(first.protection) after \(first.report - 20 + 1) reports")
        path.run(7, loss: 0.30)
        #expect(path.policy.protection == .copies(2))

        var bursty = Path()
        bursty.run(30, loss: 0.09, burst: 3)
        #expect(bursty.policy.protection == .copies(2))
        let atTwo = bursty.changes.count
        bursty.run(10, loss: 0.40)
        #expect(
            bursty.changes.count == atTwo && bursty.policy.protection == .copies(2),
            "\(bursty.changes.map { "\($0.report): \($0.protection)" })")
    }

    /// Seeds the thresholds and windows were never tuned on: they were set on seed 77, then the
    /// shortest start window on seeds 101–505 (one 3 % path flapped); these came after. Every
    /// steady path, five minutes each, changes its protection at most twice after settling.
    @Test(arguments: [606, 707, 808, 909, 1010, 1111, 1212, 1313] as [UInt64])
    func heldOutSeedsDoNotFlap(seed: UInt64) {
        var flapping: [String] = []
        for loss in [0.0, 0.005, 0.01, 0.03, 0.06, 0.10, 0.14, 0.20] {
            var path = Path(seed: seed)
            path.run(300, loss: loss)
            let late = path.changes.filter { $0.report >= 10 }
            if late.count > 2 { flapping.append("\(loss): \(late.map { "\($0.report): \($0.protection)" })") }
        }
        #expect(flapping.isEmpty, "seed \(seed): \(flapping)")
    }

    /// Loss in bursts of three: one copy of the previous frame cannot recover them, so two.
    @Test func burstyLossGetsTwoCopies() {
        var path = Path()
        path.run(30, loss: 0.09, burst: 3)
        #expect(path.policy.protection == .copies(2), "\(path.policy.protection)")
    }

    /// The worst current listener decides; one that stopped reporting, or left, does not.
    @Test func theWorstCurrentListenerDecides() {
        var policy = ProtectionPolicy()
        var highest: [PeerID: UInt32] = [1: 100, 2: 100]
        var cumulative: [PeerID: UInt32] = [1: 0, 2: 0]
        func report(_ id: PeerID, lost: UInt32, at t: Double) {
            highest[id]! += 50
            cumulative[id]! += lost
            _ = policy.take(.init(highestSequence: highest[id]!, cumulativeLost: cumulative[id]!), from: id, at: .seconds(t))
        }
        for t in 0..<10 {
            report(1, lost: 0, at: Double(t))
            report(2, lost: 6, at: Double(t))
        }
        #expect(policy.protection == .copies(1))
        // Copies go to the lossy listener only.
        #expect(policy.copies(for: 2) == 1 && policy.copies(for: 1) == 0)
        #expect("\(policy.setting)" == "1 copy to 1 of 2")
        // Listener 2 goes quiet: after 3 s its reports no longer count.
        for t in 10..<40 { report(1, lost: 0, at: Double(t)) }
        #expect(policy.protection == .none)
        for t in 40..<50 {
            report(1, lost: 0, at: Double(t))
            report(2, lost: 6, at: Double(t))
        }
        policy.forget(2)
        for t in 50..<80 { report(1, lost: 0, at: Double(t)) }
        #expect(policy.protection == .none)
    }

    /// A listener that counts anew (its sequence numbers went back) starts over, rather than
    /// reading the jump as loss.
    @Test func aListenerCountingAnewStartsOver() {
        var policy = ProtectionPolicy()
        _ = policy.take(.init(highestSequence: 70_000, cumulativeLost: 0), from: 1, at: .seconds(0))
        _ = policy.take(.init(highestSequence: 70_050, cumulativeLost: 0), from: 1, at: .seconds(1))
        _ = policy.take(.init(highestSequence: 300, cumulativeLost: 0), from: 1, at: .seconds(2))
        #expect(policy.loss(of: 1, reports: 1) == nil)
        _ = policy.take(.init(highestSequence: 350, cumulativeLost: 0), from: 1, at: .seconds(3))
        // Counting anew is a new path: it starts again with the provisional FEC.
        #expect(policy.loss(of: 1, reports: 1)?.share == 0)
        #expect(policy.protection == .fec(expectedLossPercent: ProtectionPolicy.provisionalFECPercent))
    }

    @Test func wilsonBoundsBracketTheShare() {
        let b = ProtectionPolicy.wilson(lost: 5, of: 50)
        #expect(b.share == 0.1 && b.lower < 0.1 && b.upper > 0.1)
        #expect(abs(b.lower - 0.050) < 0.002, "\(b)")
        let none = ProtectionPolicy.wilson(lost: 0, of: 400)
        #expect(none.lower == 0 && none.upper < 0.01)
    }
}
