import ConcordLive
import ConcordWebProtocol
import Foundation
import ServiceLifecycle

/// Between the client and its open pages: reads the page model's state four times a second and
/// sends it, as JSON, to every page; hands every page's command to the model.
///
/// For a room, the model reads and drives what the terminal view does (`LiveRoom.snapshot`,
/// `LiveRoom.submit`): the page has no logic of its own to diverge. A page that reads slowly gets
/// only the newest state, never a backlog.
actor WebHub: Service {
    private let model: any PageModel
    private let interval: Duration
    private var pages: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextPage = 0
    private var finished = false

    init(model: any PageModel, interval: Duration = .milliseconds(250)) {
        self.model = model
        self.interval = interval
    }

    /// A new page's states, the current one first.
    func open() async -> (id: Int, snapshots: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let id = nextPage
        nextPage += 1
        if finished {
            continuation.finish()
        } else {
            pages[id] = continuation
            continuation.yield(await model.pageState())
        }
        return (id, stream)
    }

    func close(_ id: Int) { pages.removeValue(forKey: id)?.finish() }

    /// A command from a page; what to answer that page alone (JSON), if anything: why the
    /// command was refused, or the invite it asked for.
    func handle(_ text: String) async -> String? {
        switch PageCommand.parse(text) {
        case .success(let command):
            return await model.handle(command)?.json
        case .failure(let error):
            return PageReply.refused(error.description).json
        }
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

    private func broadcast() async {
        guard !pages.isEmpty else { return }
        let text = await model.pageState()
        for page in pages.values { page.yield(text) }
    }
}
