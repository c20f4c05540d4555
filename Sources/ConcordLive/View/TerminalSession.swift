#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// The controlling terminal in the view's mode, and back: the alternate screen, the keyboard in
/// non-canonical no-echo mode, standard error caught so that log lines do not scribble over
/// the view.
///
/// Done by hand (termios and a handful of ANSI sequences) rather than with ncurses: the view
/// repaints whole frames it already lays out itself (``LiveViewRenderer``), so all it needs
/// from the terminal is "home", "erase", "move the cursor" and the alternate screen, which
/// every terminal emulator in use understands; ncurses would add a system library, its own
/// idea of the screen to keep in sync, and terminfo lookups that fail in minimal containers.
///
/// The terminal is the process's, so this type's state is too (one session at a time). It is
/// restored by ``end()`` on every normal path (end of the call, /leave, Ctrl-C and SIGTERM,
/// which leave the room and return), by an `atexit` handler if the process exits some other
/// way, and by a handler for the fatal signals (a crash) that restores it with
/// async-signal-safe calls only and then lets the signal take its course.
public enum TerminalSession {
    /// Enters the alternate screen; with `keyboard`, puts standard input (a terminal) in
    /// non-canonical, no-echo mode, keeping ISIG so Ctrl-C still signals; with `captureErrors`,
    /// points standard error at a pipe whose lines go to `onErrorLine` (on a thread of its own)
    /// until ``end()``. Returns false if a session is already active.
    @discardableResult
    public static func begin(keyboard: Bool, captureErrors: Bool, onErrorLine: @escaping @Sendable (String) -> Void) -> Bool {
        let started = state.withLock { state -> Bool in
            guard !state.active else { return false }
            state.active = true
            Restore.install()
            return true
        }
        guard started else { return false }
        if keyboard, tcgetattr(STDIN_FILENO, &Restore.savedTermios) == 0 {
            var raw = Restore.savedTermios
            // No line editing or echo by the terminal (the view echoes in its input line); no
            // Ctrl-V/Ctrl-O (IEXTEN); no Ctrl-S freezing the output (IXON). ISIG stays: Ctrl-C
            // and Ctrl-\ still signal. Ctrl-Z is disabled: a suspended client stops sending
            // and answering, which the others see as a broken peer, and the view would stay
            // in its mode under the shell.
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ECHONL | IEXTEN)
            raw.c_iflag &= ~tcflag_t(IXON)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
                cc[Int(VSUSP)] = 0  // _POSIX_VDISABLE on Linux
            }
            if tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 { Restore.termiosSaved = 1 }
        }
        if captureErrors { captureStandardError(onErrorLine) }
        Restore.emit(Restore.enterSequence)
        Restore.screenActive = 1
        return true
    }

    /// Leaves the alternate screen (the shell's screen comes back as it was), shows the cursor,
    /// restores the keyboard's settings and standard error. Returns the lines caught on standard
    /// error, so the caller can print them where they stay visible. Safe to call twice.
    @discardableResult
    public static func end() -> [String] {
        let wasActive = state.withLock { state -> Bool in
            defer { state.active = false }
            return state.active
        }
        guard wasActive else { return [] }
        Restore.restore()
        // The pipe's write end was standard error, now replaced: the reader sees end of file.
        let reader = state.withLock { $0.errorReader }
        reader?.wait()
        return state.withLock { state in
            defer {
                state.errorLines = []
                state.errorReader = nil
            }
            return state.errorLines
        }
    }

    // MARK: Standard error

    private struct State {
        var active = false
        var errorLines: [String] = []
        var errorReader: DispatchSemaphore?
    }

    private static let state = Mutex(State())
    /// Lines kept to print again after the view; older ones are dropped.
    private static let maximumErrorLines = 200

    private static func captureStandardError(_ onLine: @escaping @Sendable (String) -> Void) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        let saved = dup(STDERR_FILENO)
        guard saved >= 0, dup2(fds[1], STDERR_FILENO) >= 0 else {
            close(fds[0])
            close(fds[1])
            if saved >= 0 { close(saved) }
            return
        }
        close(fds[1])
        Restore.savedStandardError = saved
        let gate = DispatchSemaphore(value: 0)
        state.withLock { $0.errorReader = gate }
        let readEnd = fds[0]
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[..<n]
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    keep(line, onLine)
                }
            }
            if !pending.isEmpty { keep(String(decoding: pending, as: UTF8.self), onLine) }
            close(readEnd)
            gate.signal()
        }
        thread.name = "concord-stderr"
        thread.start()
    }

    private static func keep(_ line: String, _ onLine: @Sendable (String) -> Void) {
        guard !line.isEmpty else { return }
        state.withLock {
            $0.errorLines.append(line)
            if $0.errorLines.count > maximumErrorLines { $0.errorLines.removeFirst() }
        }
        onLine(line)
    }
}

/// What must be undone, kept where a signal handler can reach it: plain C values written
/// before the handlers can run, read by async-signal-safe code only.
private enum Restore {
    nonisolated(unsafe) static var savedTermios = termios()
    nonisolated(unsafe) static var termiosSaved: sig_atomic_t = 0
    nonisolated(unsafe) static var screenActive: sig_atomic_t = 0
    nonisolated(unsafe) static var savedStandardError: Int32 = -1
    /// Alternate screen on, cursor home, screen cleared.
    static let enterSequence: StaticString = "\u{1B}[?1049h\u{1B}[H\u{1B}[2J"
    /// Cursor shown, attributes reset, alternate screen off.
    static let leaveSequence: StaticString = "\u{1B}[?25h\u{1B}[0m\u{1B}[?1049l"
    static let fatalSignals: [Int32] = [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE]
    nonisolated(unsafe) static var previousActions: [sigaction] = Array(repeating: sigaction(), count: 6)
    nonisolated(unsafe) static var installed = false

    /// Installs the `atexit` and fatal-signal handlers, once per process (called under
    /// `TerminalSession`'s lock, hence no race on `installed`).
    static func install() {
        guard !installed else { return }
        installed = true
        atexit { Restore.restore() }
        for (index, signal) in fatalSignals.enumerated() {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { signal in Restore.fatal(signal) }
            #else
            action.__sigaction_u.__sa_handler = { signal in Restore.fatal(signal) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, &previousActions[index])
        }
    }

    /// Async-signal-safe: write, tcsetattr and dup2 only, each undone once.
    static func restore() {
        if screenActive != 0 {
            screenActive = 0
            emit(leaveSequence)
        }
        if termiosSaved != 0 {
            termiosSaved = 0
            tcsetattr(STDIN_FILENO, TCSANOW, &savedTermios)
        }
        if savedStandardError >= 0 {
            dup2(savedStandardError, STDERR_FILENO)
            close(savedStandardError)
            savedStandardError = -1
        }
    }

    /// A crash: put the terminal back, then hand the signal to whoever handled it before (the
    /// Swift runtime's backtracer) or to the default action.
    static func fatal(_ signal: Int32) {
        restore()
        if let index = fatalSignals.firstIndex(of: signal) {
            sigaction(signal, &previousActions[index], nil)
        }
        raise(signal)
    }

    static func emit(_ text: StaticString) {
        var start = text.utf8Start
        var left = text.utf8CodeUnitCount
        while left > 0 {
            let n = write(STDOUT_FILENO, start, left)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            start += n
            left -= n
        }
    }
}
