import Foundation

/// Why two scenarios cannot be compared stream for stream: the participants one has and the
/// other lacks, and those who speak from different files (links to one file are one file).
/// Empty when they match.
public func participantDifferences(_ a: ResolvedScenario, _ b: ResolvedScenario) -> [String] {
    let first = Dictionary(a.participants.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
    let second = Dictionary(b.participants.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
    var differences: [String] = []
    let onlyA = a.participants.map(\.name).filter { second[$0] == nil }
    let onlyB = b.participants.map(\.name).filter { first[$0] == nil }
    if !onlyA.isEmpty { differences.append("only in A: \(onlyA.joined(separator: ", "))") }
    if !onlyB.isEmpty { differences.append("only in B: \(onlyB.joined(separator: ", "))") }
    for p in a.participants {
        guard let q = second[p.name], p.wavPath.map(resolved) != q.wavPath.map(resolved) else { continue }
        differences.append("\(p.name) speaks from \(p.wavPath ?? "nothing") in A and \(q.wavPath ?? "nothing") in B")
    }
    return differences
}

private func resolved(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
