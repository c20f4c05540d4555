import ConcordWebProtocol
import Foundation

/// What a page shows and does. `WebHub` asks it for the page's state four times a second and
/// hands it every command; the page's script only draws and sends.
public protocol PageModel: Sendable {
    /// The state every open page receives now, as JSON text.
    func pageState() async -> String
    /// A command from one page; what to answer that page alone, if anything.
    func handle(_ command: PageCommand) async -> PageReply?
}

/// An answer to one page.
public enum PageReply: Sendable, Equatable {
    /// Why the command was not carried out (the page shows it).
    case refused(String)
    /// The room's invite, which the page asked for.
    case invite(String)

    var json: String {
        let fields: [String: String]
        switch self {
        case .refused(let reason): fields = ["error": reason]
        case .invite(let invite): fields = ["invite": invite]
        }
        let data = (try? JSONEncoder().encode(fields)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension Encodable {
    /// As a page receives it; every page state is plain values, so encoding cannot fail.
    var pageJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
