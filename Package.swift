// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Concord",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Concord", targets: ["Concord"]),
        .library(name: "SimNet", targets: ["SimNet"]),
        .executable(name: "simnet-bench", targets: ["simnet-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, found through pkg-config; see each module.modulemap and shim.h.
        .systemLibrary(
            name: "COpus", pkgConfig: "opus",
            providers: [.apt(["libopus-dev"]), .brew(["opus"])]),
        .systemLibrary(
            name: "CSndFile", pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(
            name: "CSampleRate", pkgConfig: "samplerate",
            providers: [.apt(["libsamplerate0-dev"]), .brew(["libsamplerate"])]),

        // The engine: deterministic state machines, no clocks, sockets or threads.
        .target(
            name: "Concord",
            dependencies: [
                "COpus", "CSndFile", "CSampleRate",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // The discrete-event network simulator; knows nothing of voice.
        .target(
            name: "SimNet",
            dependencies: [.product(name: "HeapModule", package: "swift-collections")]),
        .executableTarget(name: "simnet-bench", dependencies: ["SimNet"]),

        .testTarget(name: "ConcordTests", dependencies: ["Concord"], resources: []),
        .testTarget(name: "SimNetTests", dependencies: ["SimNet"]),
    ],
    swiftLanguageModes: [.v6]
)
