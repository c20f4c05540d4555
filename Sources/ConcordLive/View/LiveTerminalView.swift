#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import Dispatch
import Foundation
import Synchronization

/// The full-screen view of a live room on this process's terminal: repaints 4 times a second
/// (and at once after a key or a resize), reads the keyboard into ``LiveConsole``, hands room
/// commands to the ``LiveRoom``. ``TerminalSession`` puts the terminal in the view's mode and
/// back.
///
/// Needs standard output to be a terminal. With standard input a terminal too, keys are read
/// one by one into the input line; otherwise whole lines are read from standard input (piped
/// commands) and the view has no input line.
///
/// `@unchecked Sendable`: the two dispatch sources are not marked Sendable, but resuming and
/// cancelling them from any thread is what they are for; every other property is Sendable.
public final class LiveTerminalView: @unchecked Sendable {
    /// How long after an Esc a following byte still counts as part of an escape sequence:
    /// terminals send a sequence in one write, so a few milliseconds is plenty.
    static let escapeTimeoutMilliseconds: Int32 = 40
    static let repaintInterval = DispatchTimeInterval.milliseconds(250)

    private let live: LiveRoom
    private let console: Mutex<LiveConsole>
    private let paintQueue = DispatchQueue(label: "concord-view")
    private let stopped = Atomic<Bool>(false)
    private let inputEnded = DispatchSemaphore(value: 0)
    private let timer: any DispatchSourceTimer
    private let resize: any DispatchSourceSignal
    private let keyboard: Bool

    /// Starts the view if standard output is a terminal; nil otherwise. `showInvite`: open
    /// with the room's invite shown (a new room: the others need it).
    public static func start(live: LiveRoom, invite: String, showInvite: Bool) -> LiveTerminalView? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        let view = LiveTerminalView(live: live, invite: invite, showInvite: showInvite, keyboard: isatty(STDIN_FILENO) == 1)
        view.run()
        return view
    }

    private init(live: LiveRoom, invite: String, showInvite: Bool, keyboard: Bool) {
        self.live = live
        self.keyboard = keyboard
        console = Mutex(LiveConsole(invite: invite, showInvite: showInvite, hasInputLine: keyboard))
        timer = DispatchSource.makeTimerSource(queue: paintQueue)
        resize = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: paintQueue)
    }

    /// Stops reading and repainting and puts the terminal back; returns the lines the process
    /// wrote to standard error meanwhile (they were shown in the view), so the caller can print
    /// them where they stay. Safe to call twice.
    @discardableResult
    public func stop() -> [String] {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return [] }
        // The keyboard reader polls with a timeout, so it notices within a tenth of a second.
        if keyboard { _ = inputEnded.wait(timeout: .now() + .seconds(1)) }
        timer.cancel()
        resize.cancel()
        paintQueue.sync {}  // a paint under way finishes before the screen is switched back
        return TerminalSession.end()
    }

    // MARK: Running

    private func run() {
        TerminalSession.begin(keyboard: keyboard, captureErrors: isatty(STDERR_FILENO) == 1) { [weak self] line in
            guard let self else { return }
            let seconds = self.secondsSinceStart
            self.console.withLock { $0.noteStandardError(line, at: seconds) }
            self.repaint()
        }
        timer.schedule(deadline: .now(), repeating: Self.repaintInterval)
        timer.setEventHandler { [weak self] in self?.paint() }
        resize.setEventHandler { [weak self] in self?.paint() }
        timer.resume()
        resize.resume()
        let thread = Thread { [self] in keyboard ? readKeys() : readLines() }
        thread.name = "concord-keyboard"
        thread.start()
    }

    private var secondsSinceStart: Double { MonotonicClock.now().seconds - live.startedAt.seconds }

    private func readKeys() {
        defer { inputEnded.signal() }
        var buffer = [UInt8](repeating: 0, count: 512)
        while !stopped.load(ordering: .acquiring) {
            let waitingForEscape = console.withLock { $0.awaitingEscapeSequence }
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, waitingForEscape ? Self.escapeTimeoutMilliseconds : 100)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return }
            if ready == 0 {
                if waitingForEscape { hand(console.withLock { $0.escapeTimedOut(at: secondsSinceStart) }) }
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            // End of input: the terminal hung up. The room goes on until told otherwise.
            if count <= 0 { return }
            let seconds = secondsSinceStart
            hand(console.withLock { $0.type(buffer[..<count], at: seconds) })
        }
    }

    /// Input that is not a terminal: whole lines. `readLine` cannot be interrupted, so this
    /// thread may outlive `stop` until its next line; it then hands nothing on.
    private func readLines() {
        while let line = readLine() {
            guard !stopped.load(ordering: .acquiring) else { return }
            let seconds = secondsSinceStart
            hand(console.withLock { $0.enter(line, at: seconds) })
        }
    }

    private func hand(_ commands: [LiveCommand]) {
        for command in commands { live.submit(command) }
        repaint()
    }

    private func repaint() {
        paintQueue.async { [weak self] in self?.paint() }
    }

    private func paint() {
        guard !stopped.load(ordering: .acquiring) else { return }
        var size = winsize()
        let known = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 && size.ws_row > 0
        let screen = console.withLock { $0.screen }
        let frame = LiveViewRenderer.frame(
            live.snapshot, screen: screen, width: known ? Int(size.ws_col) : 80, height: known ? Int(size.ws_row) : 24)
        Self.writeAll(LiveViewRenderer.ansiFrame(frame))
    }

    private static func writeAll(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return write(STDOUT_FILENO, base + offset, buffer.count - offset)
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
