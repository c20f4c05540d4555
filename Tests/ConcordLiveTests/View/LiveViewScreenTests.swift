import Concord
import ConcordLive
import Testing

private let invite = RoomSecret.generate().inviteString

private func room(members: Int = 1, messages: Int = 0) -> LiveSnapshot {
    LiveSnapshot(
        roomID: "lobby", clientID: "ana", fingerprint: "AAAA-BBBB-CCCC-DDDD-EEEE", address: "127.0.0.40:7440",
        phase: .member, inputLevelDBFS: -30,
        members: (0..<members).map {
            LiveSnapshot.Member(clientID: "peer\($0)", voice: figures(rtt: 1, loss: 0, buffer: 25, concealed: 0))
        },
        messages: (0..<messages).map { LiveSnapshot.Message(secondsSinceStart: Double($0), from: "peer0", text: "line \($0)") },
        uptimeSeconds: 100)
}

/// The view's own parts: the invite panel, the input line, notices and errors.
@Suite struct LiveViewScreenTests {
    @Test(arguments: [(120, 40), (80, 24), (40, 30), (20, 20)])
    func theInviteIsShownWholeAtAnyWidth(width: Int, height: Int) {
        let screen = LiveScreen(input: "", panel: .invite(invite))
        let lines = LiveViewRenderer.render(room(messages: 30), screen: screen, width: width, height: height)
        #expect(lines.count == height)
        #expect(lines.allSatisfy { LiveViewRenderer.displayWidth($0) <= width })
        // Wrapped, never cut: the lines holding it, joined, give it back whole.
        let joined = lines.joined()
        #expect(joined.contains("--invite " + invite), "\(width)x\(height):\n\(lines.joined(separator: "\n"))")
        #expect(!lines.contains { $0.contains("concord1") && $0.hasSuffix("…") })
        if width >= 40 {
            #expect(lines.contains { $0.contains("others join this room with") })
            #expect(lines.contains { $0.contains("Esc or /ok hides this") })
        }
    }

    @Test func theInviteOutranksMessagesAndTheTableWhenRowsAreShort() {
        let lines = LiveViewRenderer.render(
            room(members: 5, messages: 10), screen: LiveScreen(input: "", panel: .invite(invite)), width: 80, height: 6)
        #expect(lines.count == 6)
        #expect(lines.first?.hasPrefix("room lobby") == true)
        #expect(lines.joined().contains(invite))
        #expect(lines.last == LiveViewRenderer.prompt)
    }

    @Test func withoutAPanelThereIsNoInvite() {
        let lines = LiveViewRenderer.render(room(), screen: LiveScreen(input: ""), width: 120, height: 40)
        #expect(!lines.joined().contains("concord1"))
    }

    @Test func theHelpPanelListsTheCommands() {
        let lines = LiveViewRenderer.render(room(), screen: LiveScreen(input: "", panel: .help), width: 120, height: 40)
        for command in ["/mute", "/unmute", "/volume NAME PERCENT", "/invite", "/ok", "/leave", "/help"] {
            #expect(lines.contains { $0.hasPrefix(command) }, "\(command)")
        }
    }

    @Test func theInputLineIsTheLastRowWithTheCursorAfterTheText() {
        let frame = LiveViewRenderer.frame(room(), screen: LiveScreen(input: "hello wörld"), width: 80, height: 24)
        #expect(frame.lines.count == 24)
        #expect(frame.lines.last == "> hello wörld")
        #expect(frame.lines[22].hasPrefix("/help  /invite"), "the help just above the input line")
        #expect(frame.cursor == .init(row: 24, column: 14))
        // No input line (input is not a terminal): no cursor, no padding.
        let plain = LiveViewRenderer.frame(room(), screen: LiveScreen(), width: 80, height: 24)
        #expect(plain.cursor == nil)
        #expect(plain.lines.last != "> ")
    }

    @Test func aLongInputLineShowsItsEnd() {
        let typed = String(repeating: "abcdefghij", count: 12) + "THE END"
        let frame = LiveViewRenderer.frame(room(), screen: LiveScreen(input: typed), width: 40, height: 10)
        let last = frame.lines.last ?? ""
        #expect(last.hasPrefix("> …"))
        #expect(last.hasSuffix("THE END"))
        #expect(LiveViewRenderer.displayWidth(last) == 39)
        #expect(frame.cursor == .init(row: 10, column: 40))
    }

    @Test func theInputLineSurvivesATinyTerminal() {
        for height in 1...4 {
            let frame = LiveViewRenderer.frame(
                room(members: 3, messages: 5), screen: LiveScreen(input: "typed", panel: .invite(invite)), width: 30, height: height)
            #expect(frame.lines.count == height)
            if height >= 2 { #expect(frame.lines.last == "> typed") }
            #expect(frame.lines.first?.hasPrefix("room lobby") == true)
        }
    }

    @Test func errorsAndNoticesAppearAmongTheMessagesInTimeOrder() {
        var snapshot = room(messages: 0)
        snapshot.messages = [
            .init(secondsSinceStart: 1, from: "", text: "joined room lobby", kind: .notice),
            .init(secondsSinceStart: 3, from: "peer0", text: "hi ana"),
            .init(secondsSinceStart: 7, from: "", text: "/volume: no member \"ben\" (members: peer0)", kind: .error),
        ]
        let screen = LiveScreen(
            input: "",
            notices: [
                .init(secondsSinceStart: 2, from: "", text: "unknown command /frobnicate; commands are …", kind: .error),
                .init(secondsSinceStart: 9, from: "", text: "/volume: 900 % is out of range 0–400 %", kind: .error),
            ])
        let lines = LiveViewRenderer.render(snapshot, screen: screen, width: 100, height: 30)
        let shown = lines.filter { $0.hasPrefix("0:0") }
        #expect(
            shown == [
                "0:01  * joined room lobby", "0:02  ! unknown command /frobnicate; commands are …", "0:03  peer0: hi ana",
                "0:07  ! /volume: no member \"ben\" (members: peer0)", "0:09  ! /volume: 900 % is out of range 0–400 %",
            ])
    }

    @Test func theNewestErrorIsVisibleEvenInABusyView() {
        let screen = LiveScreen(input: "", notices: [.init(secondsSinceStart: 200, from: "", text: "the newest error", kind: .error)])
        let lines = LiveViewRenderer.render(room(members: 4, messages: 80), screen: screen, width: 80, height: 16)
        #expect(lines.contains { $0.contains("! the newest error") })
    }

    @Test func ansiFramePlacesTheCursorOnTheInputLine() {
        let frame = LiveViewRenderer.frame(room(), screen: LiveScreen(input: "ab"), width: 80, height: 24)
        let text = LiveViewRenderer.ansiFrame(frame)
        #expect(text.hasPrefix("\u{1B}[?25l\u{1B}[H"))
        #expect(text.hasSuffix("\u{1B}[J\u{1B}[24;5H\u{1B}[?25h"))
        let hidden = LiveViewRenderer.ansiFrame(LiveViewRenderer.frame(room(), width: 80, height: 24))
        #expect(!hidden.contains("\u{1B}[?25h"))
    }
}
