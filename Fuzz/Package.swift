// swift-tools-version:6.0
// libFuzzer targets for every parser of untrusted input, plus the seal/open micro-benchmark.
// Kept out of the main package so `-sanitize=fuzzer` never touches the product build.
// Build and run with `scripts/fuzz` (see the README there and SECURITY.md).
import PackageDescription

let package = Package(
    name: "ConcordFuzz",
    dependencies: [.package(name: "Concord", path: "..")],
    targets: [
        // The libFuzzer entry every fuzz target shares.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "fuzz-voice-packet", dependencies: ["FuzzDriver", .product(name: "Concord", package: "Concord")]),
        .executableTarget(name: "fuzz-sealed-opener", dependencies: ["FuzzDriver", .product(name: "Concord", package: "Concord")]),
        .executableTarget(name: "fuzz-scenario-json", dependencies: ["FuzzDriver", .product(name: "ConcordBench", package: "Concord")]),
        .executableTarget(name: "fuzz-trace-csv", dependencies: ["FuzzDriver", .product(name: "SimNet", package: "Concord")]),
        .executableTarget(name: "fuzz-room-message", dependencies: ["FuzzDriver", .product(name: "Concord", package: "Concord")]),
        .executableTarget(name: "fuzz-secure-transport", dependencies: ["FuzzDriver", .product(name: "Concord", package: "Concord")]),
        .executableTarget(name: "fuzz-receiver-report", dependencies: ["FuzzDriver", .product(name: "Concord", package: "Concord")]),
        .executableTarget(
            name: "fuzz-page-command", dependencies: ["FuzzDriver", .product(name: "ConcordWebProtocol", package: "Concord")]),
        // Not a fuzz target: `swift run -c release --package-path Fuzz seal-bench`.
        .executableTarget(name: "seal-bench", dependencies: [.product(name: "Concord", package: "Concord")]),
        // Not a fuzz target: `swift run -c release --package-path Fuzz handshake-flood-bench`.
        .executableTarget(name: "handshake-flood-bench", dependencies: [.product(name: "Concord", package: "Concord")]),
        // Not a fuzz target: `swift run -c release --package-path Fuzz bench-security SCENARIO`.
        .executableTarget(name: "bench-security", dependencies: [.product(name: "ConcordBench", package: "Concord")]),
    ],
    swiftLanguageModes: [.v6]
)
