import ConcordLive
import ConcordWebProtocol
import Foundation
import ServiceLifecycle

/// Between the client and its open pages: reads the client's snapshot four times a second and
/// sends it, as JSON, to every page; hands every page's command to the client.
///
/// The client's own view does the same (`LiveRoom.snapshot`, `LiveRoom.submit`): the page has no
/// logic of its own to diverge. A page that reads slowly gets only the newest snapshot, never a
/// backlog.
actor WebHub: Service {
    /// What the client shows now; called on the hub's task.
    typealias Snapshot = @Sendable () -> LiveSnapshot
    typealias Submit = @Sendable (LiveCommand) -> Void

    private let snapshot: Snapshot
    private let submit: Submit
    private let invite: String?
    private let interval: Duration
    private var pages: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextPage = 0
    private var finished = false
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    init(snapshot: @escaping Snapshot, submit: @escaping Submit, invite: String?, interval: Duration = .milliseconds(250)) {
        self.snapshot = snapshot
        self.submit = submit
        self.invite = invite
        self.interval = interval
    }

    /// A new page's snapshots, the current one first.
    func open() -> (id: Int, snapshots: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let id = nextPage
        nextPage += 1
        if finished {
            continuation.finish()
        } else {
            pages[id] = continuation
            continuation.yield(json())
        }
        return (id, stream)
    }

    func close(_ id: Int) { pages.removeValue(forKey: id)?.finish() }

    /// A command from a page; what to answer that page alone (JSON), if anything: why the
    /// command was refused, or the invite it asked for.
    func handle(_ text: String) -> String? {
        switch PageCommand.parse(text) {
        case .success(.invite):
            guard let invite else { return Self.reply(["error": "this client has no invite to show"]) }
            return Self.reply(["invite": invite])
        case .success(let command):
            submit(LiveCommand(command))
            return nil
        case .failure(let error):
            return Self.reply(["error": error.description])
        }
    }

    private static func reply(_ fields: [String: String]) -> String {
        let data = (try? JSONEncoder().encode(fields)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: self.interval) } catch { return }
                    await self.broadcast()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        finished = true
        for page in pages.values { page.finish() }
        pages.removeAll()
    }

    private func broadcast() {
        guard !pages.isEmpty else { return }
        let text = json()
        for page in pages.values { page.yield(text) }
    }

    private func json() -> String {
        // Every field is a plain value: encoding cannot fail.
        let data = (try? encoder.encode(WebSnapshot(snapshot()))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension LiveCommand {
    /// A page's command as the terminal view would have typed it (`invite` is answered by the hub).
    init(_ command: PageCommand) {
        switch command {
        case .say(let text): self = .say(text)
        case .mute: self = .mute
        case .unmute: self = .unmute
        case .volume(let member, let percent): self = .volume(member: member, gain: Float(percent / 100))
        case .invite: self = .showInvite
        case .leave: self = .leave
        }
    }
}
