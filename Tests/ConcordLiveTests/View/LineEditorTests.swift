import Concord
import ConcordLive
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct LineEditorTests {
    @Test func echoesTextAndSubmitsOnEnter() {
        var editor = LineEditor()
        #expect(editor.feed(bytes("hello")).isEmpty)
        #expect(editor.text == "hello")
        #expect(editor.feed([0x0D]) == [.submitted("hello")])
        #expect(editor.text == "")
        // LF submits too (a terminal with ICRNL turns Enter into LF); an empty line is handed on as such.
        #expect(editor.feed(bytes("a\n\n")) == [.submitted("a"), .submitted("")])
    }

    @Test func backspaceRemovesWholeCharacters() {
        var editor = LineEditor()
        _ = editor.feed(bytes("naïve 👋🏽"))
        _ = editor.feed([0x7F])
        #expect(editor.text == "naïve ")
        _ = editor.feed([0x7F, 0x08, 0x7F])
        #expect(editor.text == "naï")
        _ = editor.feed([0x7F])
        #expect(editor.text == "na")
        _ = editor.feed(Array(repeating: 0x7F, count: 10))
        #expect(editor.text == "")
    }

    @Test func controlUClearsAndControlWDeletesAWord() {
        var editor = LineEditor()
        _ = editor.feed(bytes("/volume ben  "))
        _ = editor.feed([0x17])
        #expect(editor.text == "/volume ")
        _ = editor.feed([0x17])
        #expect(editor.text == "")
        _ = editor.feed(bytes("something long"))
        _ = editor.feed([0x15])
        #expect(editor.text == "")
        #expect(editor.feed(bytes("x\r")) == [.submitted("x")])
    }

    @Test func escapeSequencesAreSwallowedWhole() {
        var editor = LineEditor()
        // Up, Down, Right, Left; Delete (ESC [ 3 ~); F1 (ESC O P); a mouse-free CSI with parameters.
        let keys: [UInt8] = [0x1B, 0x5B, 0x41, 0x1B, 0x5B, 0x42, 0x1B, 0x5B, 0x43, 0x1B, 0x5B, 0x44]
            + [0x1B, 0x5B, 0x33, 0x7E, 0x1B, 0x4F, 0x50] + bytes("\u{1B}[1;5C")
        #expect(editor.feed(bytes("ab") + keys + bytes("c")).isEmpty)
        #expect(editor.text == "abc")
        #expect(!editor.awaitingEscapeSequence)
    }

    @Test func aLoneEscapeIsAnEventOnceNothingFollows() {
        var editor = LineEditor()
        #expect(editor.feed([0x1B]).isEmpty)
        #expect(editor.awaitingEscapeSequence)
        #expect(editor.escapeTimedOut() == [.escape])
        #expect(!editor.awaitingEscapeSequence)
        #expect(editor.escapeTimedOut().isEmpty)
        // Esc Esc: the first was alone. Esc then a letter (Alt+x): Esc, then the letter typed.
        #expect(editor.feed([0x1B, 0x1B]) == [.escape])
        #expect(editor.escapeTimedOut() == [.escape])
        #expect(editor.feed([0x1B] + bytes("x")) == [.escape])
        #expect(editor.text == "x")
    }

    @Test func otherControlsAndBadUTF8AreDropped() {
        var editor = LineEditor()
        // NUL, Ctrl-A, Ctrl-D, BEL, Ctrl-Z; a stray continuation byte; a cut-short sequence; an
        // overlong "/" (C0 AF); a surrogate (ED A0 80); a C1 control as UTF-8 (C2 9B, CSI).
        let junk: [UInt8] = [0x00, 0x01, 0x04, 0x07, 0x1A, 0x80, 0xE2, 0x82, 0x41, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xC2, 0x9B]
        _ = editor.feed(junk + [0x09] + bytes("é"))
        #expect(editor.text == "A é")
    }

    @Test func multibyteCharactersMayArriveSplitAcrossReads() {
        var editor = LineEditor()
        let thumbs = bytes("👍")
        for byte in thumbs { _ = editor.feed([byte]) }
        #expect(editor.text == "👍")
    }

    @Test func theLineStopsAtARoomTextsLimit() {
        var editor = LineEditor()
        _ = editor.feed(Array(repeating: UInt8(ascii: "a"), count: RoomMessage.maxTextBytes - 1))
        _ = editor.feed(bytes("é"))  // two bytes: would pass the limit
        _ = editor.feed(bytes("b"))
        #expect(editor.text.utf8.count == RoomMessage.maxTextBytes)
        #expect(editor.text.hasSuffix("ab"))
        _ = editor.feed(bytes("c"))
        #expect(editor.text.hasSuffix("ab"))
    }
}
