import Concord
import Foundation

/// Turns a ``LiveSnapshot`` into terminal lines: a header (room, you, input level), the members
/// table, a key-change warning, the security counters, the last messages and the command help.
///
/// Pure: the same snapshot and size always give the same lines, and no line is ever wider than
/// the terminal nor are there more lines than it has rows. When rows are short, the header, the
/// help footer, a key-change warning and the first members win over messages and counters; when
/// columns are short, low-priority table columns (level, concealment, jitter buffer...) go first
/// and every line is cut with "…". Text that came from other members (names, messages) is
/// stripped of control characters, so nobody can send escape sequences to your terminal.
/// Turns a ``LiveSnapshot`` (and the terminal view's own state, ``LiveScreen``) into terminal
/// lines: a header (room, you, input level), a panel (the invite, or the commands) until
/// dismissed, the members table with a legend saying which figures are measured and which
/// estimated, a key-change warning, the security counters, the last messages, notices and
/// errors, the command help and the input line.
///
/// Pure: the same snapshot, screen and size always give the same lines, and no line is ever
/// wider than the terminal nor are there more lines than it has rows. When rows are short, the
/// header, the input line, the panel, a key-change warning and the first members win over
/// messages and counters; when columns are short, the stream figures (loss, latency, buffer,
/// concealment) win over the fingerprint, which is shortened and then dropped first, and every
/// line is cut with "…" — except the invite, which wraps: a cut invite is useless. Text that
/// came from other members (names, messages) is stripped of control characters, so nobody can
/// send escape sequences to your terminal.
public enum LiveViewRenderer {
    /// The command help shown in the footer.
    public static let footer = "/help  /invite  /mute  /unmute  /volume NAME PERCENT  /leave  · other text is sent as a message"
    /// The input line's prompt.
    public static let prompt = "> "

    /// Lines and, when there is an input line, where the cursor goes.
    public struct Frame: Sendable, Equatable {
        /// A 1-based terminal position.
        public struct Cursor: Sendable, Equatable {
            public var row: Int
            public var column: Int

            public init(row: Int, column: Int) {
                self.row = row
                self.column = column
            }
        }

        public var lines: [String]
        /// The input line's cursor; nil without an input line.
        public var cursor: Cursor?

        public init(lines: [String], cursor: Cursor?) {
            self.lines = lines
            self.cursor = cursor
        }
    }

    /// Lines for a terminal `width` columns wide and `height` rows tall: never more lines than
    /// `height`, no line wider than `width` (cut with "…"). Plain text, no escape sequences.
    public static func render(_ s: LiveSnapshot, screen: LiveScreen = LiveScreen(), width: Int, height: Int) -> [String] {
        frame(s, screen: screen, width: width, height: height).lines
    }

    /// The frame for a terminal `width` × `height`. With an input line (`screen.input` not nil),
    /// the frame fills every row and the input line is the last one, where the cursor is.
    public static func frame(_ s: LiveSnapshot, screen: LiveScreen = LiveScreen(), width: Int, height: Int) -> Frame {
        guard width > 0, height > 0 else { return Frame(lines: [], cursor: nil) }

        let title = titleLine(s)
        let you = youLine(s)
        let input = inputLevelLine(s)
        let table = memberTable(s.members, width: width)
        let legend = s.members.isEmpty ? nil : legendLine(s)
        let warning = keyWarning(s.members)
        let security = securityLine(s, width: width)
        let messageBlocks = merged(s.messages, screen.notices).map { messageLines($0, width: width) }
        let panel = screen.panel.map { panelLines($0, width: width) }
        let typed = screen.input.map { inputLine($0, width: width) }

        // Rows are handed out by priority, then laid out in reading order.
        var budget = height
        func take(_ wanted: Int) -> Int {
            let granted = min(max(wanted, 0), budget)
            budget -= granted
            return granted
        }
        let showTitle = take(1) == 1
        let showTyped = typed != nil && take(1) == 1
        let panelRows = take(panel?.count ?? 0)
        let showWarning = warning != nil && take(1) == 1
        // The table header and the first row (or the "nobody here" line) come as a pair.
        let tableMinimum = min(table.count, 2)
        var tableRows = budget >= tableMinimum ? take(tableMinimum) : 0
        let showFooter = take(1) == 1
        let showYou = take(1) == 1
        let showInput = take(1) == 1
        let showSecurity = take(1) == 1
        var messageRows = take(min(messageBlocks.last?.count ?? 0, 1))
        let showLegend = legend != nil && tableRows > 0 && take(1) == 1
        tableRows += take(table.count - tableRows)
        messageRows += take(messageBlocks.reduce(0) { $0 + $1.count } - messageRows)

        let tableLines = fitTable(table, rows: tableRows, total: s.members.count)
        let messages = fitMessages(messageBlocks, rows: messageRows)

        // Spare rows become blank separators between sections, most useful first.
        var sections: [[String]] = []
        var head: [String] = []
        if showTitle { head.append(title) }
        if showYou { head.append(you) }
        if showInput { head.append(input) }
        sections.append(head)
        sections.append(fitPanel(panel, rows: panelRows))
        var middle = tableLines
        if showLegend, let legend { middle.append(legend) }
        if showWarning, let warning { middle.append(warning) }
        sections.append(middle)
        sections.append(showSecurity ? [security] : [])
        sections.append(messages)
        // With an input line, the footer goes just above it, at the bottom (below).
        if !showTyped { sections.append(showFooter ? [footer] : []) }
        sections = sections.filter { !$0.isEmpty }

        var lines: [String] = []
        for (index, section) in sections.enumerated() {
            if index > 0, budget > 0 {
                lines.append("")
                budget -= 1
            }
            lines += section
        }
        guard showTyped, let typed else {
            return Frame(lines: lines.prefix(height).map { TerminalText.truncate($0, to: width) }, cursor: nil)
        }
        // The input line sits on the terminal's last row, as in a shell, the help just above it.
        let bottom = (showFooter ? [footer] : []) + [typed.text]
        lines = Array(lines.prefix(height - bottom.count))
        lines += Array(repeating: "", count: max(0, height - bottom.count - lines.count)) + bottom
        lines = lines.map { TerminalText.truncate($0, to: width) }
        return Frame(lines: lines, cursor: .init(row: lines.count, column: typed.cursorColumn))
    }

    /// A whole frame for a terminal: cursor home, each line followed by "erase to end of line",
    /// then "erase below". Repainting in place like this (rather than clearing first) does not
    /// flicker at 4 frames a second. Badges are shown in reverse video.
    public static func ansiFrame(_ lines: [String]) -> String {
        let escape = "\u{1B}["
        let body = lines.map { line in
            line.replacingOccurrences(of: mutedBadge, with: "\(escape)7m\(mutedBadge)\(escape)0m")
                .replacingOccurrences(of: keyChangedFlag, with: "\(escape)1;7m\(keyChangedFlag)\(escape)0m")
                + "\(escape)K"
        }
        return "\(escape)H" + body.joined(separator: "\r\n") + "\(escape)J"
    }

    /// The same for a ``Frame``: the cursor is hidden while painting (no flicker across the
    /// screen), then shown at the input line's cursor; without an input line it stays hidden.
    public static func ansiFrame(_ frame: Frame) -> String {
        let escape = "\u{1B}["
        var text = "\(escape)?25l" + ansiFrame(frame.lines)
        if let cursor = frame.cursor { text += "\(escape)\(cursor.row);\(cursor.column)H\(escape)?25h" }
        return text
    }

    /// One line for non-TTY output (logs, tests), e.g.
    /// "room lobby · member · 2 peers · muted · in −23 dB".
    public static func statusLine(_ s: LiveSnapshot) -> String {
        var parts = ["room \(clean(s.roomID))", s.phase.description, count(s.members.count, "peer")]
        if s.muted { parts.append("muted") }
        parts.append(s.inputLevelDBFS.map { "in \(decibels($0))" } ?? "no input")
        let speaking = s.members.filter(\.speaking).map(name)
        if !speaking.isEmpty { parts.append("speaking \(speaking.joined(separator: ", "))") }
        let changed = s.members.filter(\.keyChanged).map(name)
        if !changed.isEmpty { parts.append("\(keyChangedFlag) \(changed.joined(separator: ", "))") }
        let dropped = s.security.dropped + s.impersonations + s.garbageDatagrams
        if dropped > 0 { parts.append("\(dropped) dropped") }
        return parts.joined(separator: " · ")
    }

    /// Columns `text` takes on a terminal (wide CJK characters and emoji count two, combining
    /// marks none): what `render` measures its lines with.
    public static func displayWidth(_ text: String) -> Int { TerminalText.displayWidth(text) }

    // MARK: Header

    static let mutedBadge = "[MUTED]"
    static let keyChangedFlag = "KEY CHANGED"

    private static func titleLine(_ s: LiveSnapshot) -> String {
        let parts = ["room \(clean(s.roomID))", s.phase.description, count(s.members.count, "peer"), "up \(clock(s.uptimeSeconds))"]
        return (s.muted ? "\(mutedBadge) " : "") + parts.joined(separator: " · ")
    }

    private static func youLine(_ s: LiveSnapshot) -> String {
        var line = "you  \(clean(s.clientID)) (\(clean(s.fingerprint)))"
        if !s.address.isEmpty { line += "  \(clean(s.address))" }
        if let protection = s.protection { line += "  protection \(protection)" }
        return line
    }

    private static func inputLevelLine(_ s: LiveSnapshot) -> String {
        guard let level = s.inputLevelDBFS else { return "in  no input device" }
        var line = "in  \(levelBar(level)) \(decibels(level))"
        if let capture = s.capture { line += "  sent \(decibels(capture.sentLevelDBFS))" }
        if s.youAreSpeaking { line += "  ● speaking" }
        if let capture = s.capture, capture.echoCancellation {
            switch (capture.echoHeard, capture.echoDelayMilliseconds) {
            case (false, _): line += "  no echo heard (canceller bypassed)"
            case (true, let delay?): line += "  echo cancelled (path \(delay) ms)"
            case (true, nil): line += "  echo cancelled"
            case (nil, _): line += "  echo canceller on (no echo heard yet)"
            }
        }
        return s.muted ? line + "  (muted: not sent)" : line
    }

    /// Eight cells from −60 dBFS (empty) to 0 dBFS (full).
    static func levelBar(_ dbfs: Float) -> String {
        let cells = 8
        let fraction = dbfs.isFinite ? (min(max(dbfs, -60), 0) + 60) / 60 : 0
        let filled = Int((fraction * Float(cells)).rounded())
        return String(repeating: "▮", count: filled) + String(repeating: "▯", count: cells - filled)
    }

    // MARK: Members

    private struct Column {
        var title: String
        var priority: Int
        var rightAligned = false
        var maxWidth = 24
        /// Narrowest useful width when the column may be shortened (cut with "…") rather than dropped.
        var minimumWidth: Int? = nil
        var value: (LiveSnapshot.Member) -> String
    }

    /// Header + one line per member (or one "nobody" line), already cut to `width`.
    private static func memberTable(_ members: [LiveSnapshot.Member], width: Int) -> [String] {
        guard !members.isEmpty else { return ["no other members yet"] }
        var columns: [Column] = [
            Column(title: "  name", priority: 0, maxWidth: 22) { ($0.speaking ? "● " : "  ") + name($0) }
        ]
        if members.contains(where: \.keyChanged) {
            columns.append(Column(title: "key", priority: 1) { $0.keyChanged ? keyChangedFlag : "" })
        }
        // A dead stream (nothing arrived) says so in the loss column and shows no other figure.
        columns += [
            Column(title: "fingerprint", priority: 9, minimumWidth: 10) { $0.fingerprint.map(clean) ?? "(handshake…)" },
            Column(title: "vol", priority: 8, rightAligned: true) { $0.muted ? "muted" : percent($0.volume) },
            Column(title: "est ms", priority: 3, rightAligned: true) { number($0.voice.latencyEstimate?.totalMs, decimals: 0) },
            Column(title: "rtt ms", priority: 6, rightAligned: true) { number($0.voice.rttMs, decimals: 0) },
            Column(title: "loss %", priority: 2, rightAligned: true) {
                $0.voice.hasAudio ? number($0.voice.lossPercent, decimals: 1) : noAudio
            },
            Column(title: "jb ms", priority: 4, rightAligned: true) { number($0.voice.jitterBufferDelayMs, decimals: 0) },
            Column(title: "conc %", priority: 5, rightAligned: true) { number($0.voice.concealedPercent, decimals: 1) },
            Column(title: "out loss %", priority: 6, rightAligned: true) { number($0.voice.outboundLossPercent, decimals: 1) },
            Column(title: "level", priority: 10, rightAligned: true) { $0.levelDBFS.map(decibels) ?? "—" },
            Column(title: "status", priority: 7, maxWidth: 12) { clean($0.status) },
        ]
        let gap = 2
        var widths = columns.map { column in
            min(members.reduce(TerminalText.displayWidth(column.title)) { max($0, TerminalText.displayWidth(column.value($1))) }, column.maxWidth)
        }
        // Greedy by priority: a column is shown when it still fits beside the ones chosen so far,
        // at its full width or, for a column that can be shortened, at what is left.
        var chosen = Set<Int>()
        var used = 0
        for index in columns.indices.sorted(by: { columns[$0].priority < columns[$1].priority }) {
            let separator = chosen.isEmpty ? 0 : gap
            let left = width - used - separator
            if chosen.isEmpty || widths[index] <= left {
                chosen.insert(index)
                used += widths[index] + separator
            } else if let minimum = columns[index].minimumWidth, left >= minimum {
                widths[index] = left
                chosen.insert(index)
                used += left + separator
            }
        }
        let shown = columns.indices.filter(chosen.contains)
        func row(_ cell: (Int) -> String) -> String {
            let text = shown.map { TerminalText.pad(cell($0), to: widths[$0], rightAligned: columns[$0].rightAligned) }
                .joined(separator: String(repeating: " ", count: gap))
            return trimTrailingSpaces(text)
        }
        return [row { columns[$0].title }] + members.map { member in row { columns[$0].value(member) } }
    }

    /// What the loss column says for a stream that delivered nothing.
    static let noAudio = "no audio"

    /// Says which figures are measured and what the estimate adds up.
    private static func legendLine(_ s: LiveSnapshot) -> String {
        let frame = number(s.frameMilliseconds, decimals: 0)
        let lookahead = number(s.codecLookaheadMilliseconds, decimals: 1)
        // The estimate's definition first: at narrow widths the line is cut from the right.
        return "est ms = frame \(frame) + codec \(lookahead) + rtt/2 + jb: a mouth-to-ear estimate; "
            + "measured: loss, jb (buffer delay, last 2 s), conc, rtt (reports; handshake until then); "
            + "out loss: of your voice, as they report it"
    }

    /// The table cut to `rows` lines; when members are left out, the last line says how many.
    private static func fitTable(_ table: [String], rows: Int, total: Int) -> [String] {
        guard rows < table.count else { return table }
        guard rows >= 3 else { return Array(table.prefix(rows)) }
        let shownMembers = rows - 2
        return Array(table.prefix(rows - 1)) + ["  … and \(total - shownMembers) more"]
    }

    private static func keyWarning(_ members: [LiveSnapshot.Member]) -> String? {
        let changed = members.filter(\.keyChanged)
        guard !changed.isEmpty else { return nil }
        let names = changed.map(name).joined(separator: ", ")
        let noun = changed.count == 1 ? "not the key" : "not the keys"
        return "⚠ \(keyChangedFlag): \(names) — \(noun) pinned before; compare fingerprints out of band"
    }

    // MARK: Security

    private static func securityLine(_ s: LiveSnapshot, width: Int) -> String {
        let c = s.security
        let drops: [(String, Int)] = [
            ("forged", c.forged), ("replayed", c.replayed), ("too old", c.tooOld), ("wrong room", c.wrongRoom),
            ("unknown key", c.unknownKey), ("stale", c.stale), ("throttled", c.throttled), ("malformed", c.malformed),
            ("impersonations", s.impersonations),
            ("garbage", s.garbageDatagrams),
        ]
        let lead = "security  opened \(c.opened) · handshakes \(s.handshakes)"
        let full = ([lead] + drops.map { "\($0.0) \($0.1)" }).joined(separator: " · ")
        if TerminalText.displayWidth(full) <= width { return full }
        // Narrow terminal: only the causes that happened.
        let nonzero = drops.filter { $0.1 != 0 }
        return nonzero.isEmpty ? lead + " · no drops" : ([lead] + nonzero.map { "\($0.0) \($0.1)" }).joined(separator: " · ")
    }

    // MARK: Messages

    /// At most three lines a message; longer text is cut with "…".
    private static let maxLinesPerMessage = 3

    private static func messageLines(_ m: LiveSnapshot.Message, width: Int) -> [String] {
        let from = clean(m.from)
        let text = clean(m.text)
        let prefix = "\(clock(m.secondsSinceStart))  "
        let body: String
        switch m.kind {
        case .text: body = "\(from): \(text)"
        case .notice: body = "* " + (from.isEmpty ? text : "\(from) \(text)")
        case .error: body = "! " + (from.isEmpty ? text : "\(from) \(text)")
        }
        return wrap(prefix + body, width: width, indent: String(repeating: " ", count: prefix.count))
    }

    /// The room's messages and the view's own notices in time order (each list already is).
    private static func merged(_ room: [LiveSnapshot.Message], _ local: [LiveSnapshot.Message]) -> [LiveSnapshot.Message] {
        guard !local.isEmpty else { return room }
        var result: [LiveSnapshot.Message] = []
        result.reserveCapacity(room.count + local.count)
        var (i, j) = (0, 0)
        while i < room.count || j < local.count {
            if j == local.count || (i < room.count && room[i].secondsSinceStart <= local[j].secondsSinceStart) {
                result.append(room[i])
                i += 1
            } else {
                result.append(local[j])
                j += 1
            }
        }
        return result
    }

    // MARK: Panel and input line

    /// A panel: a title rule, its body, and how to hide it.
    private struct PanelLines {
        var title: String
        var body: [String]
        var hint: String
        var count: Int { body.count + 2 }
    }

    /// The panel's lines. The invite is wrapped, never cut: each line holds as much of it as fits.
    private static func panelLines(_ panel: LiveScreen.Panel, width: Int) -> PanelLines {
        let hint = "Esc or /ok hides this"
        switch panel {
        case .invite(let invite):
            return PanelLines(
                title: rule("invite · others join this room with", width: width),
                body: hardWrap("--invite " + clean(invite), width: width), hint: hint + " · /invite shows it again")
        case .help:
            return PanelLines(
                title: rule("commands", width: width),
                body: LiveCommand.helpText.split(separator: "\n").map(String.init), hint: hint)
        }
    }

    /// The panel cut to `rows`: its body first (the invite itself), then the title, then the hint.
    private static func fitPanel(_ panel: PanelLines?, rows: Int) -> [String] {
        guard let panel, rows > 0 else { return [] }
        if rows <= panel.body.count { return Array(panel.body.prefix(rows)) }
        return [panel.title] + panel.body + (rows >= panel.count ? [panel.hint] : [])
    }

    /// "── title ──────" across `width` (at most 60 columns).
    private static func rule(_ title: String, width: Int) -> String {
        let lead = "── \(title) "
        return lead + String(repeating: "─", count: max(0, min(width, 60) - TerminalText.displayWidth(lead)))
    }

    /// `text` in lines of exactly `width` columns (the last shorter), breaking anywhere.
    static func hardWrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var used = 0
        for character in text {
            let w = TerminalText.width(of: character)
            if used + w > width, !line.isEmpty {
                lines.append(line)
                line = ""
                used = 0
            }
            line.append(character)
            used += w
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// The input line: the prompt and the end of what is typed (its start cut with "…" when
    /// too long), and the 1-based column just after it.
    static func inputLine(_ typed: String, width: Int) -> (text: String, cursorColumn: Int) {
        let text = clean(typed)
        let promptWidth = TerminalText.displayWidth(prompt)
        // One column is kept for the cursor after the text.
        let room = width - promptWidth - 1
        guard room > 1 else { return ("", 1) }
        var shown = text
        if TerminalText.displayWidth(text) > room {
            var tail = ""
            var used = 1  // the "…"
            for character in text.reversed() {
                let w = TerminalText.width(of: character)
                if used + w > room { break }
                tail.insert(character, at: tail.startIndex)
                used += w
            }
            shown = "…" + tail
        }
        let line = prompt + shown
        return (line, TerminalText.displayWidth(line) + 1)
    }

    /// The newest messages that fit in `rows` lines, oldest first; whole messages only, unless
    /// the newest alone is too long (then its first lines).
    private static func fitMessages(_ blocks: [[String]], rows: Int) -> [String] {
        var result: [String] = []
        var left = rows
        for block in blocks.reversed() {
            if block.count <= left {
                result = block + result
                left -= block.count
            } else {
                if result.isEmpty, left > 0 { result = Array(block.prefix(left)) }
                break
            }
        }
        return result
    }

    /// Word-wraps `text` to `width` columns, continuation lines indented; at most
    /// `maxLinesPerMessage` lines, the last cut with "…" if text remains.
    static func wrap(_ text: String, width: Int, indent: String) -> [String] {
        let indent = TerminalText.displayWidth(indent) * 2 <= width ? indent : ""
        var lines: [String] = []
        var rest = Substring(text)
        var first = true
        while !rest.isEmpty {
            let lead = first ? "" : indent
            let room = width - TerminalText.displayWidth(lead)
            if lines.count == maxLinesPerMessage - 1 || TerminalText.displayWidth(rest) <= room {
                lines.append(TerminalText.truncate(lead + rest, to: width))
                break
            }
            // Take as many characters as fit, then back off to the last space if there is one.
            var end = rest.startIndex
            var used = 0
            while end < rest.endIndex {
                let w = TerminalText.width(of: rest[end])
                if used + w > room { break }
                used += w
                end = rest.index(after: end)
            }
            if end == rest.startIndex { end = rest.index(after: end) }  // a character wider than the line
            if end < rest.endIndex, rest[end] != " ", let space = rest[..<end].lastIndex(of: " "), space > rest.startIndex {
                end = space
            }
            lines.append(lead + trimTrailingSpaces(String(rest[..<end])))
            rest = rest[end...].drop(while: { $0 == " " })
            first = false
        }
        return lines.isEmpty ? [""] : lines
    }

    // MARK: Formatting

    private static func name(_ m: LiveSnapshot.Member) -> String {
        clean(m.displayName.isEmpty ? m.clientID : m.displayName)
    }

    private static func clean(_ text: String) -> String { TerminalText.sanitize(text) }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// "m:ss", or "h:mm:ss" from one hour.
    static func clock(_ seconds: Double) -> String {
        let total = seconds.isFinite ? Int(min(max(seconds, 0), 1e9)) : 0
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// Whole decibels with a real minus sign: "−23 dB".
    static func decibels(_ value: Float) -> String {
        guard value.isFinite else { return "—" }
        let rounded = Int(min(max(value, -999), 999).rounded())
        return rounded < 0 ? "−\(-rounded) dB" : "\(rounded) dB"
    }

    private static func percent(_ gain: Float) -> String {
        guard gain.isFinite else { return "—" }
        return "\(Int((min(max(gain, 0), 100) * 100).rounded()))%"
    }

    private static func number(_ value: Double?, decimals: Int) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.\(decimals)f", min(max(value, -1e9), 1e9))
    }

    private static func trimTrailingSpaces(_ text: String) -> String {
        var text = text
        while text.last == " " { text.removeLast() }
        return text
    }
}
