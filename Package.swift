// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Concord",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Concord", targets: ["Concord"]),
        .library(name: "AudioFiles", targets: ["AudioFiles"]),
        .library(name: "SimNet", targets: ["SimNet"]),
        .library(name: "ConcordBench", targets: ["ConcordBench"]),
        .library(name: "SpeechQuality", targets: ["SpeechQuality"]),
        .executable(name: "concord-bench", targets: ["concord-bench"]),
        .executable(name: "simnet-bench", targets: ["simnet-bench"]),
        .executable(name: "time-stretch-bench", targets: ["time-stretch-bench"]),
        .executable(name: "concord", targets: ["concord"]),
        .library(name: "ConcordTesting", targets: ["ConcordTesting"]),
        .library(name: "ConcordWebProtocol", targets: ["ConcordWebProtocol"]),
        .executable(name: "fake-zerotier-one", targets: ["fake-zerotier-one"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The local web page (`concord join --web`): Hummingbird 2 with its WebSocket support.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
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
        // No pkgConfig: portaudio-2.0.pc hands out -pthread, which SwiftPM refuses with a warning
        // on every build; the header is in /usr/include and the module map links the library.
        .systemLibrary(name: "CPortAudio", providers: [.apt(["portaudio19-dev"]), .brew(["portaudio"])]),
        // The time-scale modification libraries Concord's own stretcher is measured against
        // (time-stretch-bench); neither ships a pkg-config file for its C interface.
        .systemLibrary(name: "CSonic", providers: [.apt(["libsonic-dev"])]),
        .systemLibrary(name: "CSoundTouch", providers: [.apt(["libsoundtouch-dev"]), .brew(["sound-touch"])]),

        // WebRTC's NetEq from Debian's libtgowt-dev (Telegram's static build of WebRTC) behind a C
        // API: the bench's reference jitter buffer. tg_owt ships no pkg-config file; its C++20
        // headers live under /usr/include/tg_owt and need the defines it was built with
        // (/usr/lib/x86_64-linux-gnu/cmake/tg_owt/tg_owtTargets.cmake). From the static library
        // the linker takes only NetEq, the Opus decoder and what they use, which need these few
        // abseil libraries and libopus.
        .target(
            name: "CNetEq",
            cxxSettings: [
                .unsafeFlags(["-I/usr/include/tg_owt"]),
                .define("WEBRTC_POSIX"), .define("WEBRTC_LINUX"), .define("WEBRTC_LIBRARY_IMPL"),
                .define("WEBRTC_ENABLE_PROTOBUF", to: "0"), .define("WEBRTC_APM_DEBUG_DUMP", to: "0"),
                .define("RTC_DISABLE_TRACE_EVENTS"),
            ],
            linkerSettings: [
                .linkedLibrary("tg_owt"), .linkedLibrary("absl_strings"), .linkedLibrary("absl_throw_delegate"),
                .linkedLibrary("absl_bad_optional_access"), .linkedLibrary("opus"),
            ]),
        // WebRTC's audio processing module (AEC3, noise suppression, AGC2) and voice activity
        // detector from the same library, behind a C API; the capture path of the bench's
        // participants and of the live client.
        .target(
            name: "CAudioProcessing",
            cxxSettings: [
                .unsafeFlags(["-I/usr/include/tg_owt"]),
                .define("WEBRTC_POSIX"), .define("WEBRTC_LINUX"), .define("WEBRTC_LIBRARY_IMPL"),
                .define("WEBRTC_ENABLE_PROTOBUF", to: "0"), .define("WEBRTC_APM_DEBUG_DUMP", to: "0"),
                .define("RTC_DISABLE_TRACE_EVENTS"),
            ],
            linkerSettings: [
                .linkedLibrary("tg_owt"), .linkedLibrary("absl_strings"), .linkedLibrary("absl_throw_delegate"),
                .linkedLibrary("absl_bad_optional_access"),
            ]),
        // The engine's `CaptureProcessor` over it.
        .target(name: "CaptureProcessing", dependencies: ["Concord", "CAudioProcessing", "FourierTransform"]),
        // NetEq as a `StreamPlayout` of the engine, for the bench alone.
        .target(name: "NetEqReference", dependencies: ["Concord", "CNetEq"]),

        // Values shared by the engine and the simulator, which do not depend on each other: one
        // IPv4 address type with its dotted-quad parser, one seeded generator.
        .target(name: "IPAddress"),
        .target(name: "SeededRandom"),
        // The radix-2 and Bluestein FFT of the bench's latency search.
        .target(name: "FourierTransform"),

        // The engine: deterministic state machines, no clocks, sockets or threads.
        .target(
            name: "Concord",
            dependencies: [
                "COpus", "IPAddress", "SeededRandom",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Scrypt for passphrase-derived room secrets (Crypto has no slow KDF); see SECURITY.md.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]),

        // Sound files at the engine's edge: any format libsndfile reads, downmixed and resampled
        // (libsamplerate) to the engine's AudioFormat; WAV out.
        .target(name: "AudioFiles", dependencies: ["Concord", "CSndFile", "CSampleRate"]),

        // The discrete-event network simulator; knows nothing of voice.
        .target(
            name: "SimNet",
            dependencies: ["IPAddress", "SeededRandom", .product(name: "HeapModule", package: "swift-collections")]),
        .executableTarget(name: "simnet-bench", dependencies: ["SimNet"]),
        // Speech quality (ViSQOL) and CPU of Concord's time stretcher against libsonic and SoundTouch.
        .executableTarget(
            name: "time-stretch-bench",
            dependencies: [
                "Concord", "AudioFiles", "SpeechQuality", "CSonic", "CSoundTouch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // ViSQOL v3 speech mode with Google's deep-lattice MOS mapping, pure Swift; the model file is
        // Apache-2.0 (Sources/SpeechQuality/Resources/NOTICE).
        .target(
            name: "SpeechQuality",
            exclude: ["Resources/NOTICE"],
            resources: [.copy("Resources/visqol_speech_lattice.tflite")]),

        // What crossed the network as a libpcap file, for the bench (virtual time) and the live client.
        .target(name: "PacketCapture", dependencies: ["Concord"]),

        // The loopback relay's system calls that Swift's Glibc module does not export (ppoll, timer
        // slack, real-time priority, kernel receive timestamps).
        .target(name: "CRelayIO"),
        // The simulation driver: scenarios, SimNet ⇄ engine adapter, metrics, reports.
        .target(
            name: "ConcordBench",
            dependencies: [
                "Concord", "AudioFiles", "SimNet", "FourierTransform", "PacketCapture", "SpeechQuality", "NetEqReference",
                "CRelayIO", "CaptureProcessing",
            ]),
        .executableTarget(
            name: "concord-bench",
            dependencies: [
                "ConcordBench", "AudioFiles", "SpeechQuality", "PacketCapture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The live driver: ZeroTier service client, UDP over SwiftNIO, sound devices.
        .target(
            name: "ConcordLive",
            dependencies: [
                "Concord", "AudioFiles", "CPortAudio", "IPAddress", "PacketCapture", "CaptureProcessing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        // The client's local web page: one more view of `LiveRoom`'s snapshot and commands, served
        // on loopback with a token.
        // What a page may send, parsed with nothing else linked in (fuzzed), and who may open it.
        .target(name: "ConcordWebProtocol"),
        .target(
            name: "ConcordWeb",
            dependencies: [
                "ConcordLive", "ConcordWebProtocol", "Concord", "CaptureProcessing",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "concord",
            dependencies: [
                "ConcordLive", "ConcordWeb", "PacketCapture", "CaptureProcessing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // What every test uses, as swift-nio ships NIOEmbedded: a room of voice clients over SimNet,
        // an in-memory datagram network, the built executables, and stand-ins for what the test machines cannot run — the ZeroTier One
        // service's local API, in-process (tests) or as its own process (`fake-zerotier-one`, one
        // per network namespace).
        .target(
            name: "ConcordTesting",
            dependencies: [
                "Concord", "SimNet", "IPAddress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "fake-zerotier-one",
            dependencies: ["ConcordTesting", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // The speech fixtures are read through AudioFiles.
        .testTarget(name: "ConcordTests", dependencies: ["Concord", "AudioFiles", "ConcordTesting", "SimNet", "SeededRandom"]),
        // Writes the formats the reader must accept through libsndfile directly.
        .testTarget(name: "AudioFilesTests", dependencies: ["AudioFiles", "Concord", "ConcordTesting", "CSndFile"]),
        // GoldenOutputTests hash the bundled scenarios' outputs with swift-crypto's SHA-256.
        .testTarget(
            name: "ConcordBenchTests",
            dependencies: [
                "ConcordBench", "AudioFiles", "ConcordTesting", "SeededRandom", "NetEqReference", "SpeechQuality",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Room protocol tests run the engine's room state machines over SimNet.
        .testTarget(name: "RoomTests", dependencies: ["Concord", "ConcordTesting", "SimNet", "SeededRandom"]),
        .testTarget(name: "SimNetTests", dependencies: ["SimNet", "ConcordTesting"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "Concord", "ConcordTesting"]),
        // ConcordLive against an in-process fake of the ZeroTier One service (NIO HTTP server on 127.0.0.1),
        // real UDP sockets on loopback, and three `concord join` processes talking in real time.
        .testTarget(
            name: "ConcordWebTests", dependencies: ["ConcordWeb", "ConcordWebProtocol", "ConcordLive", "Concord", "ConcordTesting"]),
        .testTarget(
            name: "ConcordLiveTests",
            dependencies: [
                "ConcordLive",
                "AudioFiles",
                "ConcordTesting",
                "PacketCapture",
                // The live integration test compares with the simulator's prediction and its metrics.
                "ConcordBench",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // The echo canceller and the rest against rooms made with the bench's acoustics.
        .testTarget(
            name: "CaptureProcessingTests",
            dependencies: ["CaptureProcessing", "Concord", "ConcordBench", "AudioFiles", "SpeechQuality"]),
        .testTarget(name: "SecurityTests", dependencies: ["Concord", "ConcordTesting", "SimNet", "SeededRandom"]),
        // Fixtures are read from the source tree (#filePath), like ConcordTests'.
        .testTarget(
            name: "SpeechQualityTests",
            dependencies: ["SpeechQuality", "AudioFiles", "ConcordTesting"],
            exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx20
)
