import ConcordWebProtocol
import FuzzDriver

/// Any bytes, as the text of a WebSocket message from a page, into `PageCommand.parse`: it must
/// answer (a command or a reason) without trapping, and a command it accepts must be within
/// the limits the client relies on.
@main enum PageCommandFuzz: FuzzTarget {
    static func fuzz(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch PageCommand.parse(text) {
        case .success(.say(let message)):
            if message.unicodeScalars.allSatisfy(\.properties.isWhitespace) { fatalError("accepted a blank message") }
        case .success(.volume(let member, let percent)):
            if member.isEmpty || !(0...PageCommand.maximumVolumePercent).contains(percent) {
                fatalError("accepted volume \(percent) for \"\(member)\"")
            }
        case .success(.joinRoom(let request)):
            let max = PageCommand.RoomRequest.maximumIdentifierBytes
            if request.room.isEmpty || request.room.utf8.count > max || (request.network == nil) == (request.bind == nil) {
                fatalError("accepted a room request that names no room or no one place: \(request)")
            }
            if let network = request.network, network.utf8.count != 16 { fatalError("accepted network id \(network)") }
        case .success(.joinNetwork(let id)), .success(.leaveNetwork(let id)):
            if id.utf8.count != 16 || id != id.lowercased() { fatalError("accepted network id \(id)") }
        case .success: break
        case .failure(let error):
            if error.description.isEmpty { fatalError("a refusal without a reason") }
        }
        _ = WebAccess(token: "0123456789abcdef0123456789abcdef").accepts(token: text)
        _ = WebAccess.accepts(origin: text, localPort: 8080)
    }
}
