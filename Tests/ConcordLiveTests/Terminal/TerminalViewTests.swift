import Concord
import ConcordBench
import ConcordLive
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A tmux server of its own (its own socket), with one window: what a user sees in a terminal.
struct Tmux {
    static let path = "/usr/bin/tmux"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: path) }

    let socket: String
    let target = "view"

    /// Runs a tmux command and returns its output.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = ["-S", socket, "-f", "/dev/null"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts the server in the foreground (`-D`: not as a daemon) with `environment`, then one
    /// `width` × `height` window running `command` (a shell line). Not daemonized because
    /// Foundation's `Process` learns that a child ended when a descriptor the child inherited
    /// closes, and a daemon forked from the tmux client would keep it open: the client would
    /// seem to run for as long as the server does.
    func start(_ command: String, width: Int, height: Int, environment: [String: String]) async throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.path)
        server.arguments = ["-S", socket, "-f", "/dev/null", "-D"]
        server.environment = environment
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        server.standardInput = FileHandle.nullDevice
        try server.run()
        let deadline = ContinuousClock.now + .seconds(5)
        while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try run(["new-session", "-d", "-s", target, "-x", "\(width)", "-y", "\(height)", command])
        return server
    }

    /// The visible screen (the alternate screen while a program uses it).
    func screen() throws -> String { try run(["capture-pane", "-p", "-t", target]) }

    /// True while the program in the window uses the alternate screen.
    func alternateScreenOn() throws -> Bool {
        try run(["display-message", "-p", "-t", target, "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// Types `text` literally (no key names).
    func type(_ text: String) throws { try run(["send-keys", "-t", target, "-l", text]) }

    /// Presses keys by name: "Enter", "Escape", "BSpace", "C-u".
    func press(_ keys: String...) throws { try run(["send-keys", "-t", target] + keys) }

    func kill() { _ = try? run(["kill-server"]) }
}

/// `concord join` in a real terminal (tmux), as a user runs it: the invite shown in the view
/// (and used by a second client to join), typed text echoed in the input line, a message sent,
/// a bad command and an out-of-range volume shown as errors in the view, Esc and /invite and
/// /ok, and /leave: the process exits 0 with the terminal as it was (alternate screen left,
/// canonical mode and echo back). Real time, over UDP on 127.0.0.40–41.
@Suite(.serialized) struct TerminalViewTests {
    static var fixtures: URL { ThreeClientsTests.fixtures }

    /// Waits (up to `seconds`) until the screen satisfies `condition`; returns the last screen.
    @discardableResult
    static func waitForScreen(
        _ tmux: Tmux, seconds: Double = 10, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var screen = try tmux.screen()
        while !condition(screen), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            screen = try tmux.screen()
        }
        #expect(condition(screen), "\(what); the screen:\n\(screen)", sourceLocation: sourceLocation)
        return screen
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test(.enabled(if: Tmux.available, "tmux is not installed at /usr/bin/tmux (scripts/install-deps installs it)"))
    func aUserTypesIntoTheViewAndLeaves() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-view-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = Int.random(in: 40_000..<60_000)
        let (anaHost, benHost) = ("127.0.0.40", "127.0.0.41")
        let file = { (name: String) in dir.appendingPathComponent(name).path }
        let tmux = Tmux(socket: file("tmux.sock"))

        // ana: in the terminal, making a new room (no --invite), so the view shows its invite.
        let ana = [
            ZeroTierCLITests.binary, "join", "viewtest", "--client-id", "ana", "--bind", anaHost, "--port", "\(port)",
            "--peer", "\(benHost):\(port)", "--input-wav", Self.fixtures.appendingPathComponent("a.wav").path, "--loop",
            "--output-wav", file("ana.wav"), "--summary-json", file("ana.json"), "--duration", "90",
        ].map(Self.quoted).joined(separator: " ")
        // After it exits: its status, and the terminal's settings as the shell gets them back.
        let shell = "\(ana); echo $? > \(Self.quoted(file("ana.exit"))); stty -a > \(Self.quoted(file("stty.txt"))); exec sleep 600"
        let server = try await tmux.start(
            shell, width: 120, height: 40,
            environment: [
                "CONCORD_HOME": file("home-ana"), "PATH": "/usr/bin:/bin", "HOME": dir.path, "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8", "TERM": "xterm-256color",
            ])
        defer {
            tmux.kill()
            server.waitUntilExit()
        }

        // The view is up on the alternate screen, with the invite.
        var screen = try await Self.waitForScreen(tmux, "the view with the invite") {
            $0.contains("room viewtest") && $0.contains("--invite concord1-")
        }
        #expect(try tmux.alternateScreenOn())
        #expect(screen.contains("others join this room with"))
        let inviteLine = screen.split(separator: "\n").first { $0.contains("--invite concord1-") } ?? ""
        let invite = String(inviteLine.split(separator: " ").last ?? "")
        #expect((try? RoomSecret(inviteString: invite)) != nil, "a whole invite on the screen: \(invite)")

        // ben joins with the invite read off ana's screen.
        let ben = Process()
        ben.executableURL = URL(fileURLWithPath: ZeroTierCLITests.binary)
        ben.arguments = [
            "join", "viewtest", "--client-id", "ben", "--bind", benHost, "--port", "\(port)", "--peer", "\(anaHost):\(port)",
            "--invite", invite, "--input-wav", Self.fixtures.appendingPathComponent("b.wav").path, "--loop",
            "--output-wav", file("ben.wav"), "--summary-json", file("ben.json"), "--duration", "14",
        ]
        ben.environment = ["CONCORD_HOME": file("home-ben"), "PATH": "/usr/bin:/bin"]
        ben.standardInput = FileHandle.nullDevice
        ben.standardOutput = FileHandle.nullDevice
        let benLog = Pipe()
        ben.standardError = benLog
        try ben.run()
        defer { if ben.isRunning { kill(ben.processIdentifier, SIGTERM) } }

        screen = try await Self.waitForScreen(tmux, seconds: 15, "ben in the table, with audio") { screen in
            screen.contains("1 peer") && screen.split(separator: "\n").contains { $0.contains("ben") && $0.contains("alive") && !$0.contains("no audio") }
        }

        // Typed text is echoed in the input line, then sent and shown as a message.
        try tmux.type("hello from the view")
        try await Self.waitForScreen(tmux, "the input line echoes") { $0.contains("> hello from the view") }
        try tmux.press("Enter")
        try await Self.waitForScreen(tmux, "the message sent") { $0.contains("ana: hello from the view") }

        // Errors stay in the view: an unknown command, an out-of-range volume, an unknown member.
        try tmux.type("/frobnicate")
        try tmux.press("Enter")
        try tmux.type("/volume ben 900")
        try tmux.press("Enter")
        try tmux.type("/volume zed 50")
        try tmux.press("Enter")
        screen = try await Self.waitForScreen(tmux, "three errors") {
            $0.contains("! unknown command /frobnicate") && $0.contains("900 % is out of range 0–400 %")
                && $0.contains("! /volume: no member \"zed\"")
        }
        // And they are still there after several repaints (4 a second).
        try await Task.sleep(for: .seconds(1))
        screen = try await Self.waitForScreen(tmux, "errors not wiped") { $0.contains("! unknown command /frobnicate") }

        // Backspace and Ctrl-U edit the line.
        try tmux.type("/mutx")
        try tmux.press("BSpace")
        try tmux.type("e")
        try await Self.waitForScreen(tmux, "backspace") { $0.contains("> /mute") }
        try tmux.press("C-u")
        try await Self.waitForScreen(tmux, "Ctrl-U") { $0.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) == ">" } ?? false }

        // Esc hides the invite, /invite shows it again, /ok hides it.
        try tmux.press("Escape")
        try await Self.waitForScreen(tmux, "Esc hides the invite") { !$0.contains("--invite concord1-") }
        try tmux.type("/invite")
        try tmux.press("Enter")
        try await Self.waitForScreen(tmux, "/invite shows it") { $0.contains("--invite \(invite)") }
        try tmux.type("/ok")
        try tmux.press("Enter")
        try await Self.waitForScreen(tmux, "/ok hides it") { !$0.contains("--invite concord1-") }

        // ben ends (its --duration); then ana leaves by command.
        ben.waitUntilExit()
        #expect(ben.terminationStatus == 0, "ben: \(String(decoding: benLog.fileHandleForReading.availableData, as: UTF8.self))")
        try tmux.type("/leave")
        try tmux.press("Enter")
        let exitFile = file("ana.exit")
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: file("stty.txt")), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(200))
        let status = (try? String(contentsOfFile: exitFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status == "0", "ana's exit status")

        // The shell's screen is back: no view on it, the status line printed after it.
        #expect(try !tmux.alternateScreenOn())
        screen = try tmux.screen()
        #expect(screen.contains("room viewtest · left"), "\(screen)")
        #expect(!screen.contains("est ms") && !screen.contains("> "), "the view is not left on the shell's screen:\n\(screen)")
        let stty = (try? String(contentsOfFile: file("stty.txt"), encoding: .utf8)) ?? ""
        let flags = Set(stty.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        for flag in ["icanon", "echo", "isig", "iexten", "ixon"] { #expect(flags.contains(flag), "\(flag) restored: \(stty)") }
        #expect(stty.contains("susp = ^Z"), "Ctrl-Z restored: \(stty)")

        // The message reached ben; both summaries carry per-peer voice figures, without "\/".
        let anaData = try Data(contentsOf: URL(fileURLWithPath: file("ana.json")))
        let benData = try Data(contentsOf: URL(fileURLWithPath: file("ben.json")))
        #expect(!String(decoding: anaData, as: UTF8.self).contains("\\/"))
        let anaSummary = try JSONDecoder().decode(LiveSummary.self, from: anaData)
        let benSummary = try JSONDecoder().decode(LiveSummary.self, from: benData)
        #expect(benSummary.messages.contains { $0.from == "ana" && $0.text == "hello from the view" }, "\(benSummary.messages)")
        let benHeard = try #require(benSummary.peers.first { $0.clientID == "ana" })
        let anaHeard = try #require(anaSummary.peers.first { $0.clientID == "ben" })
        for (listener, heard) in [("ben", benHeard), ("ana", anaHeard)] {
            #expect(heard.voice.packetsReceived > 100, "\(listener): \(heard.voice)")
            #expect(heard.voice.lossPercent < 5, "\(listener): \(heard.voice)")
            #expect(heard.voice.jitterBufferDelayMs != nil, "\(listener): \(heard.voice)")
        }

        // The estimate against what was heard: cross-correlation of each output with the
        // other's (looped) source, on the shared monotonic clock.
        var compared = 0
        for (listener, talker, source, summary, heard) in [
            ("ben", anaSummary, "a.wav", benSummary, benHeard), ("ana", benSummary, "b.wav", anaSummary, anaHeard),
        ] {
            guard let estimate = heard.voice.latencyEstimate else {
                print("\(listener): no latency estimate (this side has no handshake RTT)")
                continue
            }
            let once = try WAVReader.readMono48k(path: Self.fixtures.appendingPathComponent(source).path)
            let looped = Array(repeating: once, count: 12).flatMap { $0 }
            let aligned = ThreeClientsTests.align(
                looped, talkerFirstTick: try #require(talker.firstTickAtNanoseconds),
                listenerFirstTick: try #require(summary.firstTickAtNanoseconds))
            let track = try WAVReader.readMono48k(path: file("\(listener).wav"))
            let windows = CrossCorrelationLatency.analyze(source: aligned, track: track, settings: .init(hopSeconds: 0.5))
                .filter(\.accepted)
            let latencies = windows.map(\.latencyMilliseconds).sorted()
            guard let median = latencies.dropFirst(latencies.count / 2).first else {
                Issue.record("\(listener) heard nothing the cross-correlation accepts")
                continue
            }
            print(
                "view test: \(listener) hears the other at \(String(format: "%.1f", median)) ms (cross-correlation median, \(windows.count) windows); "
                    + "estimate \(String(format: "%.1f", estimate.totalMs)) ms = frame \(estimate.frameMs) + codec \(estimate.codecLookaheadMs) + "
                    + "network \(String(format: "%.2f", estimate.oneWayNetworkMs)) + buffer \(String(format: "%.1f", estimate.jitterBufferMs)) "
                    + "(buffer over the session: \(String(format: "%.1f", heard.voice.jitterBufferSessionMeanMs ?? .nan)) ms)")
            // One frame of tolerance: the engine ticks once a frame on each side.
            #expect(abs(median - estimate.totalMs) <= 20, "\(listener): measured \(median) ms, estimated \(estimate.totalMs) ms")
            compared += 1
        }
        #expect(compared >= 1, "at least the side that started the handshake has an RTT and so an estimate")
    }
}
