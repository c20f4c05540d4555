import Dispatch
import Foundation
import Testing

@testable import ConcordBench

#if canImport(Glibc)
import Glibc
#endif

/// The relay over real loopback sockets, with plain UDP sockets as the clients: where a datagram
/// goes, from which address, no earlier than its path's delay, and what the scenario's losses,
/// partitions and per-link conditions do to it. Bounds on lateness are loose (shared machines);
/// the relay's timing accuracy is measured by `concord-bench relay`, not asserted here.
@Suite(.serialized) struct LoopbackRelayTests {
    /// A relay running on a thread of its own until `finish()`.
    final class Running: @unchecked Sendable {
        let relay: LoopbackRelay
        // Written by the relay's thread before `done` is signalled, read only after.
        private var statistics = RelayStatistics()
        private let done = DispatchSemaphore(value: 0)

        init(_ relay: LoopbackRelay) {
            self.relay = relay
            Thread { [self] in
                statistics = relay.run(for: 30)
                done.signal()
            }.start()
        }

        func finish() -> RelayStatistics {
            relay.stop()
            done.wait()
            return statistics
        }
    }

    /// `drain` on a thread of its own, so that arrival times are read as datagrams arrive.
    final class Listening: @unchecked Sendable {
        // Written by the listening thread before `done` is signalled, read only after.
        private var arrivals: [Arrival] = []
        private let done = DispatchSemaphore(value: 0)

        init(_ socket: RelaySocket, seconds: Double) {
            Thread { [self] in
                arrivals = LoopbackRelayTests.drain(socket, seconds: seconds)
                done.signal()
            }.start()
        }

        func wait() -> [Arrival] {
            done.wait()
            return arrivals
        }
    }

    struct Arrival {
        var payload: [UInt8]
        var from: RelayLayout.Address
        var atNanoseconds: Int64
    }

    static func port() -> UInt16 { UInt16(30_000 + Int.random(in: 0..<20_000)) }

    static func scenario(_ network: String, participants: Int) throws -> ResolvedScenario {
        let people = (0..<participants).map { #"{"name": "p\#($0)"\#($0 == 0 ? #", "wav": "a.wav""# : "")}"# }
        return try ScenarioLoader.load(path: BenchFixtures.scenarioFile("""
            {"duration_seconds": 5, "seed": 7, "network": \(network), "participants": [\(people.joined(separator: ", "))]}
            """))
    }

    static func clients(_ layout: RelayLayout) throws -> [RelaySocket] {
        try (0..<layout.count).map { try RelaySocket(binding: layout.clientAddress($0)) }
    }

    /// Everything `socket` receives until `seconds` have passed.
    static func drain(_ socket: RelaySocket, seconds: Double) -> [Arrival] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buffer.deallocate() }
        var arrivals: [Arrival] = []
        let end = LoopbackRelay.monotonicNanoseconds() + Int64(seconds * 1e9)
        while LoopbackRelay.monotonicNanoseconds() < end {
            if let (count, from, arrival) = socket.receive(into: buffer) {
                arrivals.append(Arrival(payload: Array(buffer[0..<count]), from: from, atNanoseconds: arrival))
            } else {
                usleep(200)
            }
        }
        return arrivals
    }

    @Test func forwardsAfterThePathDelayFromTheSendersRelayedAddress() throws {
        let relay = try LoopbackRelay(scenario: Self.scenario(#"{"links": {"delay_ms": 30}}"#, participants: 2), port: Self.port())
        let layout = relay.layout
        let clients = try Self.clients(layout)
        let running = Running(relay)
        let listening = Listening(clients[1], seconds: 0.6)
        var sent: [Int64] = []
        for k in 0..<25 {
            sent.append(LoopbackRelay.monotonicNanoseconds())
            #expect(clients[0].send([UInt8(k), 0xC0, 0xDE], to: layout.relayedAddress(1)))
            usleep(10_000)
        }
        let arrivals = listening.wait()
        let statistics = running.finish()
        #expect(Self.drain(clients[0], seconds: 0.01).isEmpty, "nothing comes back to the sender")
        #expect(arrivals.count == 25)
        #expect(arrivals.map(\.payload) == (0..<25).map { [UInt8($0), 0xC0, 0xDE] }, "intact, in order")
        #expect(arrivals.allSatisfy { $0.from == layout.relayedAddress(0) }, "from the sender's relayed address")
        let delays = zip(arrivals, sent).map { Double($0.atNanoseconds - $1) / 1e6 }
        #expect(delays.allSatisfy { $0 >= 30 }, "never before the path's delay: \(delays)")
        #expect(delays.sorted()[delays.count / 2] < 60, "about the path's delay: \(delays)")
        #expect(statistics.received == 25 && statistics.forwarded == 25)
        #expect(statistics.schedulingErrorP50Ms != nil)
    }

    @Test func aPartitionAtItsTimeCutsThePath() throws {
        let relay = try LoopbackRelay(
            scenario: Self.scenario(
                #"{"links": {"delay_ms": 5}, "events": [{"at_seconds": 1, "action": "partition", "groups": [["p0"], ["p1"]]}]}"#,
                participants: 2),
            port: Self.port())
        let layout = relay.layout
        let clients = try Self.clients(layout)
        let running = Running(relay)
        for k in 0..<10 { _ = clients[0].send([UInt8(k)], to: layout.relayedAddress(1)); usleep(5_000) }
        let before = Self.drain(clients[1], seconds: 0.2)
        usleep(1_000_000)
        for k in 0..<10 { _ = clients[0].send([UInt8(k)], to: layout.relayedAddress(1)); usleep(5_000) }
        let after = Self.drain(clients[1], seconds: 0.2)
        let statistics = running.finish()
        #expect(before.count == 10)
        #expect(after.isEmpty)
        #expect(statistics.droppedPartition == 10)
    }

    @Test func broadcastsReachEveryOtherParticipantOverItsOwnPath() throws {
        let relay = try LoopbackRelay(
            scenario: Self.scenario(
                #"{"links": {"delay_ms": 2}, "per_link": [{"from": "p0", "to": "p2", "both_directions": false, "conditions": {"loss_percent": 100}}]}"#,
                participants: 4),
            port: Self.port())
        let layout = relay.layout
        let clients = try Self.clients(layout)
        let running = Running(relay)
        for k in 0..<5 { _ = clients[0].send([0xB0, UInt8(k)], to: layout.broadcastAddress) }
        let heard = clients.map { Self.drain($0, seconds: 0.15) }
        let statistics = running.finish()
        #expect(heard[0].isEmpty, "not back to the sender")
        #expect(heard[1].count == 5 && heard[3].count == 5)
        #expect(heard[1].allSatisfy { $0.from == layout.relayedAddress(0) })
        #expect(heard[2].isEmpty, "p0 → p2 loses everything")
        #expect(statistics.received == 5 && statistics.forwarded == 10 && statistics.droppedLoss == 5)
    }

    @Test func datagramsFromStrangersAreCountedAndDropped() throws {
        let relay = try LoopbackRelay(scenario: Self.scenario(#"{"links": {"delay_ms": 1}}"#, participants: 2), port: Self.port())
        let layout = relay.layout
        let clients = try Self.clients(layout)
        // Not a participant: an address past the last one, and a participant's address on another port.
        let stranger = try RelaySocket(binding: RelayLayout.Address(host: layout.clientAddress(5).host, port: layout.port))
        let wrongPort = try RelaySocket(binding: RelayLayout.Address(host: layout.clientAddress(0).host, port: layout.port &+ 1))
        let running = Running(relay)
        _ = stranger.send([1, 2, 3], to: layout.relayedAddress(1))
        _ = wrongPort.send([1, 2, 3], to: layout.broadcastAddress)
        let heard = clients.map { Self.drain($0, seconds: 0.1) }
        let statistics = running.finish()
        #expect(heard.allSatisfy { $0.isEmpty })
        #expect(statistics.received == 2 && statistics.unknownSource == 2 && statistics.forwarded == 0)
    }

    @Test func aPortInUseIsReportedWithTheAddress() throws {
        let scenario = try Self.scenario(#"{"links": {"delay_ms": 1}}"#, participants: 2)
        let port = Self.port()
        let first = try LoopbackRelay(scenario: scenario, port: port)
        #expect(throws: RelayError.self) { _ = try LoopbackRelay(scenario: scenario, port: port) }
        do {
            _ = try LoopbackRelay(scenario: scenario, port: port)
        } catch {
            #expect("\(error)".contains("127.77.1.1:\(port)") && "\(error)".contains("in use"), "\(error)")
        }
        _ = first
    }

    @Test func schedulingErrorQuantilesComeFromTheBuckets() {
        var histogram = SchedulingErrorHistogram()
        #expect(histogram.quantileMilliseconds(0.5) == nil)
        for microseconds in 1...100 { histogram.add(latenessNanoseconds: Int64(microseconds) * 1_000) }
        histogram.add(latenessNanoseconds: 250_000_000)  // past the last bucket: kept exactly as the maximum
        histogram.add(latenessNanoseconds: -5_000)  // early never happens; counted as on time
        #expect(histogram.count == 102)
        #expect(histogram.quantileMilliseconds(0.5) == 0.06)  // 50 µs, in the bucket [50, 60) µs
        #expect(histogram.quantileMilliseconds(0.99) == 0.11)
        #expect(histogram.quantileMilliseconds(1) == 250)
        #expect(histogram.maximumNanoseconds == 250_000_000)
    }

    @Test func theLayoutNamesEveryAddressAndRejectsTooManyParticipants() throws {
        let layout = try RelayLayout(participants: 3, port: 7400)
        #expect(layout.clientAddress(0).description == "127.77.0.1:7400")
        #expect(layout.relayedAddress(2).description == "127.77.1.3:7400")
        #expect(layout.broadcastAddress.description == "127.77.2.1:7400")
        #expect(layout.participant(atClientAddress: layout.clientAddress(2)) == 2)
        #expect(layout.participant(atClientAddress: layout.clientAddress(3)) == nil)
        #expect(layout.participant(atClientAddress: layout.relayedAddress(0)) == nil)
        #expect(layout.joinArguments(1) == ["--bind", "127.77.0.2", "--port", "7400", "--advertise", "127.77.1.2", "--broadcast", "127.77.2.1"])
        #expect(throws: RelayError.tooManyParticipants(count: 300, maximum: 254)) { _ = try RelayLayout(participants: 300, port: 1) }
    }
}
