import ConcordLive
import Testing

private let invite = "concord1-EXAMPLEINVITEEXAMPLEINVITEEXAMPLEINVITE"

private func keys(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct LiveConsoleTests {
    @Test func aNewRoomOpensWithTheInviteUntilDismissed() {
        var console = LiveConsole(invite: invite, showInvite: true, hasInputLine: true)
        #expect(console.screen.panel == .invite(invite))
        // Typing does not hide it; Esc does.
        #expect(console.type(keys("hel"), at: 1).isEmpty)
        #expect(console.screen.panel == .invite(invite))
        #expect(console.screen.input == "hel")
        _ = console.type([0x1B], at: 2)
        #expect(console.screen.panel == .invite(invite))  // could still be an arrow key
        #expect(console.escapeTimedOut(at: 2).isEmpty)
        #expect(console.screen.panel == nil)
        #expect(console.screen.input == "hel")
        // /invite shows it again, /ok hides it; neither goes to the room.
        #expect(console.type(keys("\u{15}/invite\r"), at: 3).isEmpty)
        #expect(console.screen.panel == .invite(invite))
        #expect(console.type(keys("/ok\r"), at: 4).isEmpty)
        #expect(console.screen.panel == nil)
    }

    @Test func aJoinedRoomOpensWithoutIt() {
        let console = LiveConsole(invite: invite, showInvite: false, hasInputLine: true)
        #expect(console.screen.panel == nil)
        #expect(console.screen.input == "")
    }

    @Test func roomCommandsGoToTheRoomAndHelpIsAPanel() {
        var console = LiveConsole(invite: invite, showInvite: false, hasInputLine: true)
        #expect(console.type(keys("hello all\r/mute\r/volume ben 50\r"), at: 1) == [.say("hello all"), .mute, .volume(member: "ben", gain: 0.5)])
        #expect(console.type(keys("/help\r"), at: 2).isEmpty)
        #expect(console.screen.panel == .help)
        #expect(console.type(keys("   \r"), at: 2).isEmpty)
        #expect(console.type(keys("/leave\r"), at: 3) == [.leave])
        #expect(console.screen.notices.isEmpty)
    }

    @Test func badCommandsBecomeErrorsInTheView() {
        var console = LiveConsole(invite: invite, showInvite: false, hasInputLine: true)
        #expect(console.type(keys("/frobnicate\r"), at: 5).isEmpty)
        #expect(console.type(keys("/volume ben 900\r"), at: 6.5).isEmpty)
        let notices = console.screen.notices
        #expect(notices.count == 2)
        #expect(notices.allSatisfy { $0.kind == .error })
        #expect(notices[0].text.contains("unknown command /frobnicate"))
        #expect(notices[0].secondsSinceStart == 5)
        #expect(notices[1].text.contains("900 % is out of range 0–400 %"))
        // The line is cleared once entered, as a shell does.
        #expect(console.screen.input == "")
    }

    @Test func noticesAreBounded() {
        var console = LiveConsole(invite: invite, showInvite: false, hasInputLine: true)
        for i in 0..<(LiveConsole.maximumNotices + 10) { _ = console.type(keys("/bad\(i)\r"), at: Double(i)) }
        #expect(console.screen.notices.count == LiveConsole.maximumNotices)
        #expect(console.screen.notices.last?.text.contains("/bad\(LiveConsole.maximumNotices + 9)") == true)
    }

    @Test func wholeLinesWithoutAnInputLine() {
        var console = LiveConsole(invite: invite, showInvite: true, hasInputLine: false)
        #expect(console.screen.input == nil)
        #expect(console.enter("/ok", at: 1).isEmpty)
        #expect(console.screen.panel == nil)
        #expect(console.enter("hi", at: 1) == [.say("hi")])
        _ = console.enter("/nope", at: 2)
        #expect(console.screen.notices.map(\.kind) == [.error])
    }
}
