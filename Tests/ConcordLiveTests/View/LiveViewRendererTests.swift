import Concord
import ConcordLive
import Foundation
import Testing

private let aliceFingerprint = "AAAA-BBBB-CCCC-DDDD-EEEE"
private let bobFingerprint = "BOBB-FING-ERPR-INTX-YZ23"
private let eveFingerprint = "EVEE-NEWK-EYXX-7777-QQQQ"

/// A live stream's figures, the estimate built from frame 20 + lookahead 6.5 + RTT/2 + buffer.
func figures(
    rtt: Double?, loss: Double, buffer: Double, concealed: Double, packets: Int = 500, outboundLoss: Double? = nil
) -> VoiceFigures {
    VoiceFigures(
        packetsReceived: packets, lossPercent: loss, jitterBufferDelayMs: buffer, jitterBufferTargetMs: buffer - 10,
        concealedPercent: concealed, rttMs: rtt, outboundLossPercent: outboundLoss,
        latencyEstimate: rtt.map { LatencyEstimate(frameMs: 20, codecLookaheadMs: 6.5, oneWayNetworkMs: $0 / 2, jitterBufferMs: buffer) })
}

/// A busy room: a speaker, a key change, a member mid-handshake, security drops, messages.
private func busySnapshot(extraMembers: Int = 0, messages: Int = 4, longNames: Bool = false) -> LiveSnapshot {
    var security = SecurityCounters()
    security.opened = 12345
    security.forged = 7
    security.replayed = 3
    security.tooOld = 2
    security.wrongRoom = 5
    security.stale = 6
    security.unknownKey = 1
    security.malformed = 4
    var members = [
        LiveSnapshot.Member(
            clientID: "bob", displayName: longNames ? "Bob " + String(repeating: "Longname", count: 20) : "bob",
            address: "10.147.17.20:5004", fingerprint: bobFingerprint, speaking: true, volume: 1.5, levelDBFS: -18,
            voice: figures(rtt: 21.7, loss: 1.3, buffer: 40, concealed: 0.5, outboundLoss: 2.7)),
        LiveSnapshot.Member(
            clientID: "eve", displayName: "eve", address: "10.147.17.66:5004", fingerprint: eveFingerprint,
            keyChanged: true, status: "suspect", voice: figures(rtt: 30, loss: 12.5, buffer: 60, concealed: 8)),
        LiveSnapshot.Member(clientID: "carol", displayName: "李小龙 👋", address: "10.147.17.30:5004", muted: true, volume: 0),
    ]
    for index in 0..<extraMembers {
        members.append(LiveSnapshot.Member(clientID: "guest\(index)", fingerprint: "GGGG-GGGG-GGGG-GGGG-\(index)"))
    }
    let texts = (0..<messages).map { index in
        LiveSnapshot.Message(
            secondsSinceStart: Double(index) * 7, from: index % 2 == 0 ? "bob" : "carol",
            text: longNames ? "message \(index) " + String(repeating: "blah ", count: 40) : "message number \(index)")
    }
    return LiveSnapshot(
        roomID: longNames ? "the-" + String(repeating: "very-", count: 30) + "long-room" : "lobby",
        clientID: longNames ? "alice-" + String(repeating: "x", count: 80) : "alice",
        fingerprint: aliceFingerprint, address: "10.147.17.5:5004", phase: .member, muted: true,
        inputLevelDBFS: -23, members: members,
        messages: texts + [LiveSnapshot.Message(secondsSinceStart: 3725, from: "eve", text: "the very last word")],
        security: security, handshakes: 3, impersonations: 2, garbageDatagrams: 11, uptimeSeconds: 3725)
}

private let emptySnapshot = LiveSnapshot(roomID: "lobby", clientID: "alice", fingerprint: aliceFingerprint)

private func hasControlCharacters(_ line: String) -> Bool {
    line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
}

@Suite struct LiveViewRendererTests {
    static let sizes: [(Int, Int)] = [
        (20, 5), (1, 1), (2, 2), (10, 3), (20, 30), (40, 8), (60, 12), (80, 24), (120, 40), (200, 4), (300, 100),
    ]

    @Test(arguments: sizes)
    func neverExceedsTheTerminal(width: Int, height: Int) {
        let snapshots = [
            emptySnapshot, busySnapshot(), busySnapshot(extraMembers: 40, messages: 60, longNames: true),
            busySnapshot(extraMembers: 3, messages: 0),
        ]
        for snapshot in snapshots {
            let lines = LiveViewRenderer.render(snapshot, width: width, height: height)
            #expect(lines.count <= height)
            #expect(!lines.isEmpty)
            for line in lines {
                #expect(LiveViewRenderer.displayWidth(line) <= width, "\(width)x\(height): \(line)")
                #expect(!hasControlCharacters(line))
            }
        }
    }

    @Test func zeroSizeRendersNothing() {
        #expect(LiveViewRenderer.render(busySnapshot(), width: 0, height: 10).isEmpty)
        #expect(LiveViewRenderer.render(busySnapshot(), width: 80, height: 0).isEmpty)
        #expect(LiveViewRenderer.render(busySnapshot(), width: -3, height: -3).isEmpty)
    }

    @Test func wideTerminalShowsEverything() {
        let text = LiveViewRenderer.render(busySnapshot(), width: 200, height: 40).joined(separator: "\n")
        for expected in [
            "[MUTED]", "room lobby", "member", "up 1:02:05", "3 peers",
            "you  alice (\(aliceFingerprint))", "10.147.17.5:5004",
            "in  ▮▮▮▮▮▯▯▯ −23 dB",
            bobFingerprint, eveFingerprint, "●", "KEY CHANGED", "150%", "muted", "suspect", "(handshake…)", "李小龙 👋",
            "77", "22", "1.3", "12.5", "−18 dB", "no audio", "est ms", "jb ms", "loss %", "conc %",
            "est ms = frame 20 + codec 6.5 + rtt/2 + jb: a mouth-to-ear estimate",
            "measured: loss, jb (buffer delay, last 2 s), conc, rtt (reports; handshake until then)",
            "out loss: of your voice, as they report it", "out loss %", "2.7",
            "opened 12345", "forged 7", "replayed 3", "too old 2", "wrong room 5", "unknown key 1", "stale 6", "throttled 0", "malformed 4",
            "impersonations 2", "garbage 11", "handshakes 3",
            "the very last word", "1:02:05  eve: the very last word", "message number 3",
            LiveViewRenderer.footer,
        ] {
            #expect(text.contains(expected), "missing \(expected)")
        }
    }

    @Test func theInputLineShowsWhatIsSentAndWhetherTheEchoIsCancelled() {
        var snapshot = busySnapshot()
        snapshot.muted = false
        let line = { LiveViewRenderer.render(snapshot, width: 200, height: 40).first { $0.hasPrefix("in  ") } ?? "" }
        // Without processing, speaking is the level rule members are shown by (above −45 dBFS).
        #expect(line() == "in  ▮▮▮▮▮▯▯▯ −23 dB  ● speaking")
        snapshot.inputLevelDBFS = -50
        #expect(line() == "in  ▮▯▯▯▯▯▯▯ −50 dB")
        snapshot.inputLevelDBFS = -23
        // With it, the voice detector decides, however loud the input.
        snapshot.capture = CaptureFigures(sentLevelDBFS: -31, echoCancellation: true)
        #expect(line() == "in  ▮▮▮▮▮▯▯▯ −23 dB  sent −31 dB  echo canceller on (no echo heard yet)")
        snapshot.capture = CaptureFigures(sentLevelDBFS: -31, echoCancellation: true, echoDelayMilliseconds: 48, echoHeard: true)
        #expect(line() == "in  ▮▮▮▮▮▯▯▯ −23 dB  sent −31 dB  echo cancelled (path 48 ms)")
        snapshot.capture = CaptureFigures(sentLevelDBFS: -31, echoCancellation: true, echoHeard: false)
        #expect(line() == "in  ▮▮▮▮▮▯▯▯ −23 dB  sent −31 dB  no echo heard (canceller bypassed)")
        snapshot.capture = CaptureFigures(sentLevelDBFS: -31, echoCancellation: false)
        #expect(line() == "in  ▮▮▮▮▮▯▯▯ −23 dB  sent −31 dB")
        snapshot.capture = CaptureFigures(sentLevelDBFS: -31, echoCancellation: true, echoDelayMilliseconds: 48, echoHeard: true, speaking: true)
        #expect(line() == "in  ▮▮▮▮▮▯▯▯ −23 dB  sent −31 dB  ● speaking  echo cancelled (path 48 ms)")
    }

    @Test func speakingMarkerAndKeyChangedFlagAreInTheRightRows() {
        let lines = LiveViewRenderer.render(busySnapshot(), width: 200, height: 40)
        let bob = lines.first { $0.contains(bobFingerprint) }
        let eve = lines.first { $0.contains(eveFingerprint) }
        #expect(bob?.hasPrefix("● bob") == true)
        #expect(bob?.contains("KEY CHANGED") == false)
        #expect(eve?.contains("KEY CHANGED") == true)
        #expect(eve?.contains("●") == false)
        // And a warning line that says what to do about it.
        #expect(lines.contains { $0.contains("KEY CHANGED: eve") && $0.contains("compare fingerprints") })
    }

    @Test func tinyTerminalKeepsTheEssentials() {
        let lines = LiveViewRenderer.render(busySnapshot(), width: 20, height: 5)
        #expect(lines.count == 5)
        #expect(lines.first?.hasPrefix("[MUTED]") == true)
        #expect(lines.last?.hasPrefix("/help") == true)
        #expect(lines.contains { $0.contains("KEY CHANGED") })
        #expect(lines.contains { $0.contains("● bob") })
    }

    @Test func narrowTerminalKeepsTheFiguresBeforeTheFingerprint() {
        let lines = LiveViewRenderer.render(busySnapshot(), width: 60, height: 40)
        let header = lines.first { $0.contains("name") }
        for figure in ["loss %", "est ms", "jb ms", "conc %"] { #expect(header?.contains(figure) == true, "\(figure) in \(header ?? "")") }
        #expect(header?.contains("fingerprint") == false)
        #expect(header?.contains("level") == false)
        let eve = lines.first { $0.contains("eve") && $0.contains("12.5") }
        #expect(eve?.contains("KEY CHANGED") == true)
        #expect(lines.allSatisfy { LiveViewRenderer.displayWidth($0) <= 60 })
    }

    @Test func theFingerprintIsShortenedBeforeItIsDropped() {
        // Wide enough for every figure and a cut fingerprint, not for all 24 characters.
        let wide = LiveViewRenderer.render(busySnapshot(), width: 200, height: 40)
        let full = wide.first { $0.contains("name") }.map(LiveViewRenderer.displayWidth) ?? 0
        let width = full - 8
        let lines = LiveViewRenderer.render(busySnapshot(), width: width, height: 40)
        let bob = lines.first { $0.contains("● bob") }
        #expect(bob?.contains(String(bobFingerprint.prefix(8))) == true, "\(bob ?? "")")
        #expect(bob?.contains(bobFingerprint) == false)
        #expect(bob?.contains("1.3") == true)
        let header = lines.first { $0.contains("name") }
        for figure in ["loss %", "est ms", "jb ms", "conc %", "rtt ms", "out loss %", "status", "vol"] {
            #expect(header?.contains(figure) == true, "\(figure) in \(header ?? "")")
        }
    }

    @Test func aStreamThatDeliveredNothingIsShownAsDead() {
        var snapshot = emptySnapshot
        snapshot.phase = .member
        snapshot.members = [
            LiveSnapshot.Member(clientID: "ben", fingerprint: bobFingerprint, voice: .noAudio(rttMs: 12)),
            LiveSnapshot.Member(clientID: "cai", voice: figures(rtt: 10, loss: 0, buffer: 30, concealed: 0)),
        ]
        for width in [200, 80, 60, 45] {
            let lines = LiveViewRenderer.render(snapshot, width: width, height: 30)
            let header = lines.first { $0.contains("name") } ?? ""
            let ben = lines.first { $0.contains("ben") } ?? ""
            #expect(ben.contains("no audio"), "\(width): \(ben)")
            // No figure but "no audio" (and the RTT, which the handshake measured): not 0 %, no latency.
            let cells = ben.split(separator: " ").map(String.init)
            #expect(!cells.contains("0.0") && !cells.contains("0"), "\(width): \(ben)")
            #expect(header.contains("loss %"))
            #expect((lines.first { $0.contains("cai") } ?? "").contains("0.0"), "\(width): the live stream's loss")
            if header.contains("est ms") {
                // cai: 20 + 6.5 + 5 + 30 = 61.5 → "62"; ben: "—".
                #expect((lines.first { $0.contains("cai") } ?? "").contains("62"))
                #expect(ben.contains("—"))
            }
        }
    }

    @Test func showsTheNewestMessagesThatFit() {
        let snapshot = busySnapshot(messages: 30)
        let lines = LiveViewRenderer.render(snapshot, width: 100, height: 20)
        #expect(lines.count == 20)
        #expect(lines.contains { $0.hasSuffix("eve: the very last word") })
        #expect(lines.contains { $0.hasSuffix("message number 29") })
        #expect(!lines.contains { $0.hasSuffix("message number 0") })
        // Oldest first among those shown.
        let shown = lines.filter { $0.contains("message number") || $0.contains("very last word") }
        #expect(shown.last?.contains("very last word") == true)
    }

    @Test func longMessagesWrapAndStillFit() {
        let long = String(repeating: "word ", count: 100)
        var snapshot = emptySnapshot
        snapshot.messages = [LiveSnapshot.Message(secondsSinceStart: 5, from: "bob", text: long)]
        let lines = LiveViewRenderer.render(snapshot, width: 40, height: 20)
        let messageLines = lines.filter { $0.contains("word") }
        #expect(messageLines.count == 3)
        #expect(messageLines.first?.hasPrefix("0:05  bob: word") == true)
        #expect(messageLines.last?.hasSuffix("…") == true)
        #expect(lines.allSatisfy { LiveViewRenderer.displayWidth($0) <= 40 })
    }

    @Test func tooManyMembersEndsWithACount() {
        let lines = LiveViewRenderer.render(busySnapshot(extraMembers: 30), width: 100, height: 16)
        #expect(lines.count <= 16)
        #expect(lines.contains { $0.contains("… and") && $0.contains("more") })
    }

    @Test func noticesAndEmptyRoomRender() {
        var snapshot = emptySnapshot
        snapshot.messages = [LiveSnapshot.Message(secondsSinceStart: 61, from: "bob", text: "joined", kind: .notice)]
        let lines = LiveViewRenderer.render(snapshot, width: 80, height: 24)
        #expect(lines.contains("1:01  * bob joined"))
        #expect(lines.contains("no other members yet"))
        #expect(lines.contains("in  no input device"))
        #expect(lines.contains { $0.contains("no drops") || $0.contains("forged 0") })
        #expect(!lines.joined().contains("[MUTED]"))
    }

    @Test func textFromOthersCannotDriveTheTerminal() {
        var snapshot = busySnapshot()
        snapshot.members[0].displayName = "bob\u{1B}[2J\u{1B}]0;pwned\u{07}"
        snapshot.messages.append(
            LiveSnapshot.Message(secondsSinceStart: 1, from: "eve\u{9B}31m", text: "hi\r\nthere\u{202E}cba\u{1B}[H"))
        for line in LiveViewRenderer.render(snapshot, width: 200, height: 50) {
            #expect(!hasControlCharacters(line))
            #expect(!line.unicodeScalars.contains { $0.value == 0x202E })
        }
        #expect(!hasControlCharacters(LiveViewRenderer.statusLine(snapshot)))
    }

    @Test func displayWidthCountsColumns() {
        #expect(LiveViewRenderer.displayWidth("abc") == 3)
        #expect(LiveViewRenderer.displayWidth("") == 0)
        #expect(LiveViewRenderer.displayWidth("…●▮·−") == 5)
        #expect(LiveViewRenderer.displayWidth("李小龙") == 6)
        #expect(LiveViewRenderer.displayWidth("👋") == 2)
        #expect(LiveViewRenderer.displayWidth("e\u{301}") == 1)
        #expect(LiveViewRenderer.displayWidth("ｗｉｄｅ") == 8)
    }

    @Test func wideCharactersAreCutOnColumnBoundaries() {
        var snapshot = emptySnapshot
        snapshot.roomID = String(repeating: "龙", count: 50)
        for width in 1...30 {
            for line in LiveViewRenderer.render(snapshot, width: width, height: 3) {
                #expect(LiveViewRenderer.displayWidth(line) <= width)
            }
        }
    }

    @Test func statusLineSummarises() {
        var snapshot = emptySnapshot
        snapshot.phase = .member
        snapshot.muted = true
        snapshot.inputLevelDBFS = -23.4
        snapshot.members = [LiveSnapshot.Member(clientID: "bob"), LiveSnapshot.Member(clientID: "carol")]
        #expect(LiveViewRenderer.statusLine(snapshot) == "room lobby · member · 2 peers · muted · in −23 dB")

        let busy = LiveViewRenderer.statusLine(busySnapshot())
        #expect(busy.hasPrefix("room lobby · member · 3 peers · muted · in −23 dB"))
        #expect(busy.contains("speaking bob"))
        #expect(busy.contains("KEY CHANGED eve"))
        #expect(busy.contains("41 dropped"))  // stale counts as a drop

        #expect(LiveViewRenderer.statusLine(emptySnapshot) == "room lobby · discovering · 0 peers · no input")
    }

    @Test func ansiFrameRepaintsInPlace() {
        let lines = LiveViewRenderer.render(busySnapshot(), width: 80, height: 24)
        let frame = LiveViewRenderer.ansiFrame(lines)
        #expect(frame.hasPrefix("\u{1B}[H"))
        #expect(frame.hasSuffix("\u{1B}[J"))
        #expect(frame.components(separatedBy: "\r\n").count == lines.count)
        #expect(frame.contains("\u{1B}[7m[MUTED]\u{1B}[0m"))
        #expect(frame.contains("\u{1B}[1;7mKEY CHANGED\u{1B}[0m"))
        #expect(LiveViewRenderer.ansiFrame([]) == "\u{1B}[H\u{1B}[J")
    }
}
