import Foundation
import Testing
@testable import SimNet

@Suite struct TraceTests {
    @Test func replayReproducesRecordedDelaysExactlyAndLoops() throws {
        let text = """
        seq,send_ms,arrive_ms
        0,0,10
        1,20,
        2,40,65.5
        3,60,63.000001
        4,80,

        """
        let trace = try Trace.parse(text, file: "t.csv")
        #expect(trace.count == 5)
        let delays: [SimTime?] = [.milliseconds(10), nil, .microseconds(25_500), .nanoseconds(3_000_001), nil]
        #expect(trace.rows.map(\.delay) == delays)
        let n = 23
        let res = probe(PathConditions(delay: .seconds(9), jitter: .seconds(1), loss: .bernoulli(0.5), trace: trace),
                        count: n, interval: .milliseconds(1))
        let bySeq = Dictionary(uniqueKeysWithValues: res.arrivals.map { ($0.seq, $0) })
        for k in 0..<n {
            if let d = delays[k % 5] {
                #expect(bySeq[k]?.delay == d, "packet \(k)")
            } else {
                #expect(bySeq[k] == nil, "packet \(k) should be lost")
            }
        }
        #expect(res.counters.droppedLoss == (0..<n).filter { delays[$0 % 5] == nil }.count)
        // Row 3 (3 ms) overtakes row 2 (25.5 ms): trace replay keeps the trace's order.
        #expect(res.counters.reordered > 0)
    }

    @Test func recordThenReplayRoundTrip() throws {
        var conditions = PathConditions.preset(named: "wifi-congested")!
        conditions.allowReordering = true
        let n = 3_000, interval = SimTime.milliseconds(2)
        let original = probe(conditions, count: n, interval: interval, seed: 99, record: true)
        let recorded = try #require(original.recorded)
        #expect(recorded.count == n)
        #expect(recorded.rows.filter { $0.arrive == nil }.count == original.counters.dropped)
        // The CSV text is the contract: write it out, read it back.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("simnet-roundtrip-\(UInt32.random(in: 0 ... .max)).csv")
        try recorded.write(toFile: url.path)
        defer { try? FileManager.default.removeItem(at: url) }
        let loaded = try Trace.load(contentsOfFile: url.path)
        #expect(loaded == recorded)
        // Replaying on a fresh path (another seed, no other impairment) gives the same arrivals.
        let replay = probe(PathConditions(trace: loaded), count: n, interval: interval, seed: 12345)
        let a = original.arrivals.map { [$0.seq, Int($0.arrived.nanoseconds)] }.sorted { $0.lexicographicallyPrecedes($1) }
        let b = replay.arrivals.map { [$0.seq, Int($0.arrived.nanoseconds)] }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(a == b)
    }

    @Test func settingATraceMidRunStartsAtRowZero() throws {
        let trace = try Trace.parse("seq,send_ms,arrive_ms\n0,0,7\n1,0,9\n")
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1, defaultConditions: PathConditions(delay: .milliseconds(1)))
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        var delays: [SimTime] = []
        var sentAt = SimTime.zero
        b.bind(port: 1) { _, now in delays.append(now - sentAt) }
        func send() { sentAt = sim.now; a.send(from: 1, to: Endpoint(b.address, 1), payload: []); sim.run(for: .seconds(1)) }
        send(); send(); send()
        net.setConditions(PathConditions(trace: trace), from: a, to: b)
        send(); send(); send()
        #expect(delays == [.milliseconds(1), .milliseconds(1), .milliseconds(1),
                           .milliseconds(7), .milliseconds(9), .milliseconds(7)])
    }

    @Test func csvFormatting() throws {
        let trace = Trace(rows: [
            Trace.Row(seq: 0, send: .zero, arrive: .nanoseconds(1)),
            Trace.Row(seq: 1, send: .milliseconds(20), arrive: nil),
            Trace.Row(seq: 2, send: .microseconds(40_500), arrive: .nanoseconds(123_456_789_012)),
        ])
        #expect(trace.csv == "seq,send_ms,arrive_ms\n0,0,0.000001\n1,20,\n2,40.5,123456.789012\n")
        #expect(try Trace.parse(trace.csv) == trace)
        #expect(abs(trace.lossRate - 1.0 / 3) < 1e-12)
    }

    @Test func tolerantParsing() throws {
        let t = try Trace.parse("\u{FEFF}seq, send_ms ,arrive_ms\r\n7, 1.5 , 2.25\r\n\r\n8,3,1e1\r\n")
        #expect(t.rows == [Trace.Row(seq: 7, send: .microseconds(1500), arrive: .microseconds(2250)),
                           Trace.Row(seq: 8, send: .milliseconds(3), arrive: .milliseconds(10))])
        // Beyond 6 fractional digits: rounded to the nanosecond.
        #expect(try Trace.parse("seq,send_ms,arrive_ms\n0,0,0.0000015\n").rows[0].arrive == .nanoseconds(2))
    }

    @Test(arguments: [
        ("seq,send,arrive\n0,0,1\n", 1, TraceError.Reason.badHeader(found: "seq,send,arrive")),
        ("", 1, .badHeader(found: "")),
        ("seq,send_ms,arrive_ms\n0,0,1\n1,abc,2\n", 3, .nonNumeric(field: "send_ms", value: "abc")),
        ("seq,send_ms,arrive_ms\nx,0,1\n", 2, .nonNumeric(field: "seq", value: "x")),
        ("seq,send_ms,arrive_ms\n0,0,1.2.3\n", 2, .nonNumeric(field: "arrive_ms", value: "1.2.3")),
        ("seq,send_ms,arrive_ms\n0,-5,1\n", 2, .nonNumeric(field: "send_ms", value: "-5")),
        ("seq,send_ms,arrive_ms\n0,0,1\n1,20,19.5\n", 3, .arriveBeforeSend(sendMs: "20", arriveMs: "19.5")),
        ("seq,send_ms,arrive_ms\n0,0\n", 2, .wrongFieldCount(2)),
        ("seq,send_ms,arrive_ms\n\n", 3, .empty),
    ])
    func malformedTracesAreRejectedWithLineAndReason(_ text: String, _ line: Int, _ reason: TraceError.Reason) {
        #expect(throws: TraceError(file: "bad.csv", line: line, reason: reason)) {
            try Trace.parse(text, file: "bad.csv")
        }
    }

    @Test func errorsNameTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("simnet-bad-\(UInt32.random(in: 0 ... .max)).csv")
        try "seq,send_ms,arrive_ms\n0,10,5\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try Trace.load(contentsOfFile: url.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == url.path && error.line == 2)
            #expect(error.description == "\(url.path):2: arrive_ms 5 is before send_ms 10")
        }
        #expect(throws: TraceError.self) { try Trace.load(contentsOfFile: "/nonexistent/simnet.csv") }
    }
}
