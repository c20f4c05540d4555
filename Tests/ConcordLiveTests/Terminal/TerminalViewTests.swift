import AudioFiles
import Concord
import ConcordBench
import ConcordLive
import ConcordTesting
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

    /// The tmux server, run in the foreground (`-D`, not as a daemon) and spawned here rather
    /// than with Foundation's `Process`, for two reasons: `Process` learns that a child ended
    /// when a descriptor the child inherited closes, which a daemon keeps open; and it passes on
    /// the spawning thread's signal mask (a dispatch thread blocks nearly every signal), which
    /// the programs in the window would inherit, so Ctrl-C and SIGHUP would never reach them.
    struct Server {
        let pid: pid_t
    }

    /// Starts the server with `environment` (signals unblocked and at their defaults, standard
    /// streams on /dev/null), then one `width` × `height` window
    /// running `command` (a shell line).
    func start(_ command: String, width: Int, height: Int, environment: [String: String]) async throws -> Server {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = [Self.path, "-S", socket, "-f", "/dev/null", "-D"]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, Self.path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        let deadline = ContinuousClock.now + .seconds(5)
        while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try run(["new-session", "-d", "-s", target, "-x", "\(width)", "-y", "\(height)", command])
        return Server(pid: pid)
    }

    /// Ends the server and the programs in it; SIGKILL if it does not go by itself.
    func stop(_ server: Server) {
        _ = try? run(["kill-server"])
        var status: Int32 = 0
        for _ in 0..<150 {
            if waitpid(server.pid, &status, WNOHANG) == server.pid { return }
            usleep(20_000)
        }
        kill(server.pid, SIGKILL)
        waitpid(server.pid, &status, 0)
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

    /// Ends the server (and the programs in it); SIGTERM if it does not go by itself.
    func stop(_ server: Process) {
        _ = try? run(["kill-server"])
        let deadline = Date().addingTimeInterval(3)
        while server.isRunning, Date() < deadline { usleep(20_000) }
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
    }
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
            BuiltProduct.concord.path, "join", "viewtest", "--client-id", "ana", "--bind", anaHost, "--port", "\(port)",
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
        defer { tmux.stop(server) }

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
        ben.executableURL = URL(fileURLWithPath: BuiltProduct.concord.path)
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
        let shellLines = screen.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(
            !screen.contains("est ms") && !screen.contains("/help  /invite") && !shellLines.contains(">"),
            "the view is not left on the shell's screen:\n\(screen)")
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
            // Both cut to the listener's output: the looped source is far longer, and the
            // analysis's cost grows with it.
            let track = try WAVReader.readMono48k(path: file("\(listener).wav"))
            let source = Array(aligned.prefix(track.count))
            let windows = CrossCorrelationLatency.analyze(source: source, track: track, settings: .init(hopSeconds: 0.5))
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
            // Tolerance: one frame (20 ms) for the engines' ticks, plus half a frame for the
            // handshake RTT, which holds the other side's wait for its next tick
            // (`LatencyEstimate`). Measured on this machine: heard 43.6 / 52.1 / 32.3 ms, estimated
            // 52.8 / 43.7 / 49.2 ms; an estimate from the session's mean buffer delay (its start at
            // 80 ms included) missed by 32 ms (42.4 heard, 74.3 estimated).
            #expect(abs(median - estimate.totalMs) <= 30, "\(listener): measured \(median) ms, estimated \(estimate.totalMs) ms")
            compared += 1
        }
        #expect(compared >= 1, "at least the side that started the handshake has an RTT and so an estimate")
    }

    /// Ctrl-C (SIGINT through the terminal: ISIG stays on) leaves the room and puts the
    /// terminal back, as /leave does; with --invite given, no invite is shown.
    @Test(.enabled(if: Tmux.available, "tmux is not installed at /usr/bin/tmux (scripts/install-deps installs it)"))
    func controlCLeavesAndRestoresTheTerminal() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-view-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = { (name: String) in dir.appendingPathComponent(name).path }
        let tmux = Tmux(socket: file("tmux.sock"))
        let join = [
            BuiltProduct.concord.path, "join", "viewtest", "--client-id", "cai", "--bind", "127.0.0.42",
            "--port", "\(Int.random(in: 40_000..<60_000))", "--invite", RoomSecret.generate().inviteString,
            "--input-wav", Self.fixtures.appendingPathComponent("c.wav").path, "--output-wav", file("cai.wav"),
            "--duration", "60",
        ].map(Self.quoted).joined(separator: " ")
        let shell = "\(join); echo $? > \(Self.quoted(file("exit"))); stty -a > \(Self.quoted(file("stty.txt"))); exec sleep 600"
        let server = try await tmux.start(
            shell, width: 80, height: 24,
            environment: ["CONCORD_HOME": file("home"), "PATH": "/usr/bin:/bin", "HOME": dir.path, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"])
        defer { tmux.stop(server) }
        let screen = try await Self.waitForScreen(tmux, "the view") { $0.contains("room viewtest") && $0.contains("/help  /invite") }
        #expect(!screen.contains("--invite"), "a joined room's invite is not shown unless asked")
        #expect(try tmux.alternateScreenOn())
        try tmux.type("half-typed")
        try tmux.press("C-c")
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: file("stty.txt")), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(200))
        let status = (try? String(contentsOfFile: file("exit"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status == "0", "exit status after Ctrl-C")
        #expect(try !tmux.alternateScreenOn())
        let after = try tmux.screen()
        #expect(after.contains("room viewtest · left"), "\(after)")
        let stty = (try? String(contentsOfFile: file("stty.txt"), encoding: .utf8)) ?? ""
        let flags = Set(stty.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        for flag in ["icanon", "echo", "isig"] { #expect(flags.contains(flag), "\(flag) restored: \(stty)") }
    }
}
