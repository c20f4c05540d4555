import Concord

/// The input line of the terminal view, fed the bytes a terminal in non-canonical, no-echo mode
/// sends: UTF-8 text, Enter, Backspace, Ctrl-U, Ctrl-W and escape sequences.
///
/// - Enter (CR or LF) hands over the line and starts a new one.
/// - Backspace (DEL or BS) removes the last character (a whole grapheme: "é", "👋🏽").
/// - Ctrl-U clears the line; Ctrl-W removes the last word.
/// - Esc alone is an event (the view hides its panel); escape sequences (arrow and function
///   keys, ESC [ … final, ESC O x) are swallowed whole, so they never leave "[A" in the line.
///   A lone Esc cannot be told from the start of a sequence until the next byte or a pause:
///   the reader calls ``escapeTimedOut()`` when no byte followed within a few milliseconds.
/// - Other control characters are ignored (Ctrl-C is a signal: the terminal keeps ISIG); a tab
///   becomes a space; invalid UTF-8 is dropped.
/// - The line holds at most ``maximumBytes`` bytes of UTF-8 (a room text's limit); further
///   characters are refused.
public struct LineEditor: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        /// Enter: the line typed.
        case submitted(String)
        /// Esc alone.
        case escape
    }

    private enum Escape: Sendable, Equatable {
        case none
        /// ESC read; the next byte decides.
        case started
        /// Inside ESC [ …: parameter and intermediate bytes until a final byte 0x40–0x7E.
        case controlSequence
        /// ESC O: one more byte (SS3, e.g. F1–F4 and keypad keys).
        case singleShift
    }

    public static let maximumBytes = RoomMessage.maxTextBytes

    public private(set) var text = ""
    private var utf8Pending: [UInt8] = []
    private var utf8Expected = 0
    private var escape = Escape.none

    public init() {}

    /// True while an Esc may still be the start of a sequence.
    public var awaitingEscapeSequence: Bool { escape == .started }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes { feed(byte, into: &events) }
        return events
    }

    /// No byte followed an Esc: it was the Esc key.
    public mutating func escapeTimedOut() -> [Event] {
        guard escape == .started else { return [] }
        escape = .none
        return [.escape]
    }

    private mutating func feed(_ byte: UInt8, into events: inout [Event]) {
        switch escape {
        case .none: break
        case .started:
            switch byte {
            case UInt8(ascii: "["): escape = .controlSequence
            case UInt8(ascii: "O"): escape = .singleShift
            case 0x1B: events.append(.escape)  // Esc twice: the first was alone
            default:
                // Esc then a key (Alt+key on most terminals): the Esc, then the key as typed.
                escape = .none
                events.append(.escape)
                feed(byte, into: &events)
            }
            return
        case .controlSequence:
            if (0x40...0x7E).contains(byte) || byte < 0x20 { escape = .none }
            return
        case .singleShift:
            escape = .none
            return
        }

        if utf8Expected > 0 {
            if (0x80...0xBF).contains(byte) {
                utf8Pending.append(byte)
                if utf8Pending.count == utf8Expected { finishScalar() }
                return
            }
            // A sequence cut short: drop it and read this byte afresh.
            utf8Pending.removeAll()
            utf8Expected = 0
        }
        switch byte {
        case 0x0D, 0x0A:
            events.append(.submitted(text))
            text = ""
        case 0x7F, 0x08:
            if !text.isEmpty { text.removeLast() }
        case 0x15:
            text = ""
        case 0x17:
            deleteWord()
        case 0x1B:
            escape = .started
        case 0x09:
            insert(" ")
        case 0x00...0x1F:
            break
        case 0x20...0x7E:
            insert(Character(Unicode.Scalar(byte)))
        case 0xC2...0xDF: startScalar(byte, length: 2)
        case 0xE0...0xEF: startScalar(byte, length: 3)
        case 0xF0...0xF4: startScalar(byte, length: 4)
        default:
            break  // a stray continuation byte, or a byte never valid in UTF-8
        }
    }

    private mutating func startScalar(_ lead: UInt8, length: Int) {
        utf8Pending = [lead]
        utf8Expected = length
    }

    private mutating func finishScalar() {
        defer {
            utf8Pending.removeAll()
            utf8Expected = 0
        }
        // Overlong forms and surrogates fail validation and are dropped.
        guard let decoded = String(validating: utf8Pending, as: UTF8.self), let scalar = decoded.unicodeScalars.first
        else { return }
        // C1 controls (U+0080–U+009F) could act as escape sequences on some terminals.
        guard !(0x80...0x9F).contains(scalar.value) else { return }
        insert(Character(scalar))
    }

    private mutating func insert(_ character: Character) {
        guard text.utf8.count + character.utf8.count <= Self.maximumBytes else { return }
        text.append(character)
    }

    private mutating func deleteWord() {
        while text.last == " " { text.removeLast() }
        while let last = text.last, last != " " { text.removeLast() }
    }
}
