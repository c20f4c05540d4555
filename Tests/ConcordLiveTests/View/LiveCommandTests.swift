import ConcordLive
import Testing

private func parseError(_ line: String) -> LiveCommandError? {
    do {
        _ = try LiveCommand.parse(line)
        return nil
    } catch {
        return error
    }
}

@Suite struct LiveCommandTests {
    @Test(arguments: [
        ("/mute", LiveCommand.mute), ("  /mute  ", .mute), ("/MUTE", .mute), ("/mute\n", .mute),
        ("/unmute", .unmute), ("/leave", .leave), ("/quit", .leave), ("/exit", .leave), ("/Exit", .leave),
        ("/help", .help), ("/?", .help), ("/invite", .showInvite), (" /INVITE ", .showInvite), ("/ok", .dismiss),
        ("/close", .dismiss),
    ])
    func parsesCommands(line: String, command: LiveCommand) throws {
        #expect(try LiveCommand.parse(line) == command)
    }

    @Test(arguments: [
        ("/volume bob 50", "bob", Float(0.5)), ("/volume bob 150%", "bob", 1.5), ("/volume bob 0", "bob", 0),
        ("/volume bob 0%", "bob", 0), ("/volume bob 400", "bob", 4), ("/volume bob 400%", "bob", 4),
        ("/volume bob 12.5", "bob", 0.125), ("  /volume   bob   100  ", "bob", 1), ("/VOLUME Bob 75", "Bob", 0.75),
        ("/volume Mary Ann 25", "Mary Ann", 0.25), ("/vol bob 200", "bob", 2),
    ])
    func parsesVolume(line: String, member: String, gain: Float) throws {
        #expect(try LiveCommand.parse(line) == .volume(member: member, gain: gain))
    }

    @Test(arguments: [
        ("hello", "hello"), ("  hello world  ", "hello world"), ("héllo 👋 /not a command", "héllo 👋 /not a command"),
        ("//mute", "/mute"), ("//", "/"), ("// spaced", "/ spaced"), ("///x", "//x"), ("a/b", "a/b"),
    ])
    func otherLinesAreMessages(line: String, text: String) throws {
        #expect(try LiveCommand.parse(line) == .say(text))
    }

    @Test(arguments: ["", " ", "   \t ", "\n", "\r\n"])
    func blankLinesAreNothing(line: String) throws {
        #expect(try LiveCommand.parse(line) == nil)
    }

    @Test func unknownCommandsSayWhatIsAllowed() {
        let error = parseError("/dance now")
        #expect(error == .unknownCommand("/dance"))
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("unknown command /dance"))
        for command in ["/mute", "/unmute", "/volume NAME PERCENT", "/invite", "/ok", "/leave", "//"] {
            #expect(text.contains(command), "missing \(command)")
        }
        #expect(parseError("/") == .unknownCommand("/"))
        #expect(parseError("/ hello") == .unknownCommand("/"))
    }

    @Test(arguments: [
        ("/volume", "missing NAME and PERCENT"), ("/volume bob", "missing NAME or PERCENT"),
        ("/volume 50", "missing NAME or PERCENT"), ("/volume bob loud", "is not a percentage"),
        ("/volume bob 401", "out of range"), ("/volume bob 1000%", "out of range"), ("/volume bob -1", "out of range"),
        ("/volume bob nan", "is not a percentage"), ("/volume bob inf", "is not a percentage"),
        ("/volume bob %", "is not a percentage"),
    ])
    func badVolumeArguments(line: String, reason: String) {
        let error = parseError(line)
        guard case let .badArguments(command, actual)? = error else {
            Issue.record("expected bad arguments for \(line), got \(String(describing: error))")
            return
        }
        #expect(command == "/volume")
        #expect(actual.contains(reason), "\(actual)")
        #expect("\(error!)".contains("usage: /volume NAME PERCENT"))
    }

    @Test(arguments: ["/mute now", "/unmute please", "/leave soon", "/quit x", "/invite bob", "/ok then"])
    func argumentlessCommandsRefuseArguments(line: String) {
        guard case let .badArguments(_, reason)? = parseError(line) else {
            Issue.record("expected bad arguments for \(line)")
            return
        }
        #expect(reason == "takes no arguments")
    }

    @Test func helpListsEveryCommand() {
        for command in ["/mute", "/unmute", "/volume NAME PERCENT", "/invite", "/ok", "/leave", "/quit", "/exit", "/help", "//"] {
            #expect(LiveCommand.helpText.contains(command), "missing \(command)")
        }
    }
}
