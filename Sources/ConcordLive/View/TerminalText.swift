/// Terminal text helpers for the live view: display width, truncation with "…", padding, and
/// neutralising control characters in text that came from other members.
///
/// Display width follows the usual `wcwidth` conventions closely enough for a status screen:
/// one column per grapheme cluster, two for East Asian wide/fullwidth characters and emoji
/// presentation, zero for clusters made only of combining marks and format characters.
enum TerminalText {
    /// Columns `text` takes on a terminal.
    static func displayWidth(_ text: some StringProtocol) -> Int {
        var total = 0
        for character in text { total += width(of: character) }
        return total
    }

    static func width(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.allSatisfy(isZeroWidth) { return 0 }
        if isWide(first) { return 2 }
        // A text-default emoji turned into a picture by VARIATION SELECTOR-16 (e.g. "❤️").
        if first.properties.isEmoji, scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        // Flags are pairs of regional indicators.
        if (0x1F1E6...0x1F1FF).contains(first.value), scalars.count >= 2 { return 2 }
        return 1
    }

    private static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return true
        default: return scalar.value == 0x200B || (0x1160...0x11FF).contains(scalar.value)
        }
    }

    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if scalar.properties.isEmojiPresentation { return true }
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
            0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `text` cut to at most `width` columns; a cut line ends in "…".
    static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        guard displayWidth(text) > width else { return text }
        var result = ""
        var used = 0
        for character in text {
            let w = Self.width(of: character)
            if used + w > width - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }

    /// `text` cut or padded with spaces to exactly `width` columns.
    static func pad(_ text: String, to width: Int, rightAligned: Bool = false) -> String {
        let cut = truncate(text, to: width)
        let fill = String(repeating: " ", count: max(0, width - displayWidth(cut)))
        return rightAligned ? fill + cut : cut + fill
    }

    /// Text from the network made safe to print: every control character (C0, DEL, C1 — so no
    /// escape sequence gets through), line and paragraph separators, and bidirectional
    /// overrides/isolates (which could reorder a fingerprint on screen) become "�"; tabs and
    /// newlines become a space.
    static func sanitize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: result.append(" ")
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069,
                0x061C:
                result.append("\u{FFFD}")
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}
