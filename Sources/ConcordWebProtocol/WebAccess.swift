/// Who may use the page: whoever holds the token printed with its URL, from the page itself.
///
/// The server listens on loopback only, but any local process — and any web page open in the
/// user's browser — can reach loopback. The token (128 random bits, in the URL the client prints)
/// keeps out other local users and programs; the `Origin` check keeps out other sites' pages,
/// which a browser lets open WebSockets anywhere but always labels with their own origin.
public struct WebAccess: Sendable {
    public let token: String

    /// A fresh random token: 32 hex digits from the system's generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        token = (0..<16).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
        }.joined()
    }

    public init(token: String) { self.token = token }

    /// Compares in time independent of where the strings differ, so timing does not reveal the
    /// token digit by digit.
    public func accepts(token candidate: String?) -> Bool {
        guard let candidate else { return false }
        let a = Array(candidate.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// A request with no `Origin` (not from a browser page) passes on its token alone; one with
    /// an `Origin` must come from this server's own page.
    public static func accepts(origin: String?, localPort: Int?) -> Bool {
        guard let origin else { return true }
        guard let localPort else { return false }
        return origin == "http://127.0.0.1:\(localPort)"
    }
}
