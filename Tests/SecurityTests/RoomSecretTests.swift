import Testing
@testable import Concord

@Suite struct RoomSecretTests {
    @Test func inviteStringRoundTrips() throws {
        for _ in 0..<50 {
            let secret = RoomSecret.generate()
            let invite = secret.inviteString
            #expect(invite.hasPrefix("concord1-"))
            #expect(invite.count == 9 + 58)
            #expect(try RoomSecret(inviteString: invite) == secret)
            #expect(try RoomSecret(inviteString: "  " + invite.uppercased() + "\n") == secret)
            // Copied from a view that wrapped it: a line break (and indentation) inside.
            let middle = invite.index(invite.startIndex, offsetBy: invite.count / 2)
            #expect(try RoomSecret(inviteString: invite[..<middle] + "\n  " + invite[middle...]) == secret)
        }
        #expect(RoomSecret.generate() != RoomSecret.generate())
    }

    @Test func everySingleCharacterTypoIsDetected() throws {
        let invite = Array(RoomSecret.generate().inviteString)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var rejected = 0
        for index in 9..<invite.count {
            for replacement in alphabet where replacement != invite[index] {
                var typo = invite
                typo[index] = replacement
                #expect(throws: SecurityError.self) { try RoomSecret(inviteString: String(typo)) }
                rejected += 1
            }
        }
        #expect(rejected == 58 * 31)
        // Transposition of two neighbours, a dropped and a doubled character.
        var swapped = invite
        if let i = (9..<invite.count - 1).first(where: { invite[$0] != invite[$0 + 1] }) { swapped.swapAt(i, i + 1) }
        for bad in [swapped, Array(invite.dropLast()), invite + [invite.last!], Array("concord2-") + invite.dropFirst(9)] {
            #expect(throws: SecurityError.self) { try RoomSecret(inviteString: String(bad)) }
        }
        #expect(throws: SecurityError.self) { try RoomSecret(inviteString: "concord1-0189") }
        #expect(throws: SecurityError.self) { try RoomSecret(inviteString: "") }
    }

    /// Cheap scrypt parameters so the test is fast; the same code path as `.interactive`.
    let fast = RoomSecret.StretchParameters(rounds: 1 << 10, blockSize: 8, parallelism: 1)

    @Test func passphraseIsDeterministicPerRoomAndSaltedByRoomID() throws {
        let a = try RoomSecret(passphrase: "correct horse battery", roomID: "lounge", parameters: fast)
        let b = try RoomSecret(passphrase: "correct horse battery", roomID: "lounge", parameters: fast)
        let otherRoom = try RoomSecret(passphrase: "correct horse battery", roomID: "lounge2", parameters: fast)
        let otherPhrase = try RoomSecret(passphrase: "correct horse batterY", roomID: "lounge", parameters: fast)
        #expect(a == b)
        #expect(a != otherRoom)
        #expect(a != otherPhrase)
        // And the rooms' keys and tags differ accordingly.
        #expect(RoomKey(secret: a, roomID: "lounge").roomTag == RoomKey(secret: b, roomID: "lounge").roomTag)
        #expect(throws: SecurityError.self) { try RoomSecret(passphrase: "short", roomID: "lounge", parameters: fast) }
        #expect(throws: SecurityError.self) {
            try RoomSecret(passphrase: "long enough phrase", roomID: "x", parameters: .init(rounds: 3, blockSize: 8, parallelism: 1))
        }
    }

    @Test func interactiveParametersMatchTheDocumentation() {
        #expect(RoomSecret.StretchParameters.interactive == .init(rounds: 32768, blockSize: 8, parallelism: 1))
    }

    @Test func roomKeyDependsOnSecretAndRoomID() {
        let secret = RoomSecret.generate()
        let k1 = RoomKey(secret: secret, roomID: "a")
        let k2 = RoomKey(secret: secret, roomID: "b")
        let k3 = RoomKey(secret: .generate(), roomID: "a")
        #expect(k1.key != k2.key && k1.key != k3.key)
        #expect(k1.key.bytes != secret.key.bytes)
    }
}
