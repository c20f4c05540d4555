import Testing
@testable import Concord
import SeededRandom

@Suite struct ReceiverReportTests {
    static func randomReport(_ rng: inout SplitMix64) -> ReceiverReport {
        func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
        func u16() -> UInt16 { UInt16.random(in: 0...UInt16.max, using: &rng) }
        func u8() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }
        let echo = Bool.random(using: &rng) ? ReceiverReport.Echo(sentAt: u32(), delay: u32()) : nil
        let stream =
            Bool.random(using: &rng)
            ? ReceiverReport.Stream(
                highestSequence: u32(), cumulativeLost: u32(), fractionLost: u8(), fractionDiscarded: u8(), burstDensity: u8(),
                gapDensity: u8(), burstDurationMilliseconds: u16(), gapDurationMilliseconds: u16(), interarrivalJitter: u32(),
                playoutDelayMilliseconds: u16(), targetDelayMilliseconds: u16(), concealedFraction: u16(),
                queueingDelay: u16()) : nil
        return ReceiverReport(reporter: u32(), addressee: u32(), sentAt: u32(), echo: echo, stream: stream)
    }

    @Test func randomReportsRoundTripAtTheirExactLength() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<5_000 {
            let report = Self.randomReport(&rng)
            let bytes = report.serialize()
            #expect(bytes.count == (report.stream == nil ? 24 : 52))
            #expect(try ReceiverReport.parse(bytes) == report)
            #expect(PacketType(of: bytes) == .receiverReport)
        }
    }

    @Test func layoutIsAsDocumented() {
        let report = ReceiverReport(
            reporter: 0x0102_0304, addressee: 0x0506_0708, sentAt: 0x090A_0B0C,
            echo: .init(sentAt: 0x0D0E_0F10, delay: 0x1112_1314),
            stream: .init(
                highestSequence: 0x0001_FFFF, cumulativeLost: 7, fractionLost: 26, fractionDiscarded: 3, burstDensity: 128,
                gapDensity: 5, burstDurationMilliseconds: 60, gapDurationMilliseconds: 0x1234, interarrivalJitter: 480,
                playoutDelayMilliseconds: 45, targetDelayMilliseconds: 40, concealedFraction: 0x0100, queueingDelay: 0x0203))
        #expect(
            report.serialize() == [
                1, 5, 0x03, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                0, 1, 0xFF, 0xFF, 0, 0, 0, 7, 26, 3, 128, 5, 0, 60, 0x12, 0x34, 0, 0, 0x01, 0xE0, 0, 45, 0, 40, 0x01, 0x00, 0x02, 0x03,
            ])
        #expect(report.stream!.jitterMilliseconds == 10)
        #expect(report.stream!.lossShare == 26.0 / 256)
        #expect(report.stream!.queueingMilliseconds == 515)
        #expect(ReceiverReport.Stream().queueingMilliseconds == nil, "unknown until measured")
        #expect(ReceiverReport.Stream.queueingDelayField(1e9) == 65_534 && ReceiverReport.Stream.queueingDelayField(nil) == 65_535)
    }

    /// Every prefix of a valid report, and every longer string, is rejected: the length is exact.
    @Test func everyTruncationAndExtensionIsRejected() {
        var rng = SplitMix64(seed: 6)
        for _ in 0..<200 {
            let bytes = Self.randomReport(&rng).serialize()
            for n in 0..<bytes.count {
                #expect(throws: WireError.self) { try ReceiverReport.parse(Array(bytes.prefix(n))) }
            }
            #expect(throws: WireError.self) { try ReceiverReport.parse(bytes + [0]) }
        }
    }

    @Test func rulesOfTheHeaderAreEnforced() throws {
        let plain = ReceiverReport(reporter: 1, addressee: 2, sentAt: 3).serialize()
        func mutated(_ i: Int, _ value: UInt8) -> [UInt8] {
            var b = plain
            b[i] = value
            return b
        }
        #expect(throws: WireError.unsupportedVersion(2)) { try ReceiverReport.parse(mutated(0, 2)) }
        #expect(throws: WireError.unexpectedPacketType(1)) { try ReceiverReport.parse(mutated(1, 1)) }
        #expect(throws: WireError.reservedFlags(0x04)) { try ReceiverReport.parse(mutated(2, 0x04)) }
        #expect(throws: WireError.sealed) { try ReceiverReport.parse(mutated(2, 0x80)) }
        #expect(throws: WireError.invalidField(field: "reserved", reason: "must be 0")) {
            try ReceiverReport.parse(mutated(3, 1))
        }
        // Echo fields without the echo flag.
        #expect(throws: WireError.invalidField(field: "echo", reason: "must be 0 without the echo flag")) {
            try ReceiverReport.parse(mutated(23, 1))
        }
        // The stream flag on a 24-byte report: the block is missing.
        #expect(throws: WireError.self) { try ReceiverReport.parse(mutated(2, 0x01)) }
    }

    /// Random byte strings, and random mutations of valid reports, parse or throw; never trap.
    @Test func garbageNeverTraps() {
        var rng = SplitMix64(seed: 7)
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8]
            if Bool.random(using: &rng) {
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = Self.randomReport(&rng).serialize()
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
            }
            if (try? ReceiverReport.parse(bytes)) != nil { parsed += 1 }
        }
        // Mutations of payload bytes still parse; of header bytes mostly not.
        #expect(parsed > 3_000 && parsed < 10_000, "\(parsed)")
    }

    @Test func fractionsSaturateAndRound() {
        typealias S = ReceiverReport.Stream
        #expect(S.per256(0.1) == 26 && S.per256(1) == 255 && S.per256(-1) == 0 && S.per256(.nan) == 0)
        #expect(S.per65536(0.5) == 32_768 && S.per65536(2) == 65_535 && S.per65536(.infinity) == 0)
        #expect(S.saturating16(1e9) == 65_535 && S.saturating16(44.6) == 45 && S.saturating16(-3) == 0)
    }
}
