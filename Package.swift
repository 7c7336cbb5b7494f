// swift-tools-version:6.1
import Foundation
import PackageDescription

// Swift 6 language mode everywhere: strict concurrency checking is on for every target.
let package = Package(
    name: "CallBridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "Ingest", targets: ["IngestMain"]),
        .executable(name: "Bridge", targets: ["BridgeMain"]),
        .executable(name: "callbridge-broker", targets: ["BrokerLauncher"]),
        .executable(name: "kafka-benchmark", targets: ["KafkaBenchmark"]),
        .executable(name: "callbridge-sim", targets: ["SimulatorMain"]),
        .library(name: "CallEvents", targets: ["CallEvents"]),
        .library(name: "WireFormats", targets: ["WireFormats"]),
        .library(name: "KafkaClient", targets: ["KafkaClient"]),
        .library(name: "EmbeddedBroker", targets: ["EmbeddedBroker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        // No traits: the command line is read from each setting's declaration (Sources/Settings).
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
    ],
    targets: [
        // librdkafka, found through pkg-config. Only Sources/KafkaClient/RdKafka imports it.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Kafka producer, consumer and admin client over librdkafka.
        .target(
            name: "KafkaClient",
            dependencies: [
                "CRdKafka",
                "WireFormats",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The text formats CallBridge reads and writes on the wire: JSON, RFC 3339 and other
        // date-times, form and query encoding, hex, base64url, bearer tokens, ASCII trimming.
        .target(
            name: "WireFormats",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio")
            ]
        ),
        // The versioned call lifecycle event (CloudEvents 1.0) shared by Ingest, Bridge and consumers.
        .target(
            name: "CallEvents",
            dependencies: [
                "WireFormats",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Starts and stops the embedded Kafka-compatible broker (Tansu) for tests and local runs.
        .target(
            name: "EmbeddedBroker",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // Each setting of an executable declared once (flag, environment variable, default, help,
        // validation, secret or not) and read through swift-configuration: command line, then
        // environment, then secret files, then defaults; `--help` is made from the declarations.
        // Also how every executable logs (StandardErrorLogging).
        .target(
            name: "Settings",
            dependencies: [
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // SplitMix64, the seedable generator of the simulator and of randomized tests.
        .target(name: "SeedableRandom"),
        .executableTarget(
            name: "BrokerLauncher",
            dependencies: [
                "EmbeddedBroker",
                "Settings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The webhook service; its executable is IngestMain (the command), so benchmarks can link it.
        .target(
            name: "Ingest",
            dependencies: [
                "CallEvents",
                "WireFormats",
                "KafkaClient",
                "ServerSupport",
                "Settings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What both servers share: their common settings, readiness, and the connection guard
        // (connection cap, request and idle timeouts).
        .target(
            name: "ServerSupport",
            dependencies: [
                "Settings",
                "WireFormats",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The delivery service; its executable is BridgeMain (the command), so benchmarks can link it.
        .target(
            name: "Bridge",
            dependencies: [
                "CallEvents",
                "WireFormats",
                "KafkaClient",
                "ServerSupport",
                "Settings",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/dashboard")]
        ),
        .executableTarget(
            name: "IngestMain",
            dependencies: [
                "Ingest",
                "ServerSupport",
                "Settings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "BridgeMain",
            dependencies: [
                "Bridge",
                "ServerSupport",
                "Settings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "SimulatorMain",
            dependencies: [
                "Simulator",
                "ServerSupport",
                "Settings",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "KafkaBenchmark",
            dependencies: [
                "KafkaClient",
                "EmbeddedBroker",
                "Settings",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `callbridge-sim`: realistic, correctly signed webhook traffic for all five providers;
        // its executable is SimulatorMain (the command), so benchmarks can sign with it.
        .target(
            name: "Simulator",
            dependencies: [
                "CallEvents",
                "WireFormats",
                "SeedableRandom",
                "ServerSupport",
                "Settings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WireFormatsTests",
            dependencies: ["WireFormats", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "CallEventsTests",
            dependencies: ["CallEvents", "SeedableRandom", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest",
                "WireFormats",
                "CallEvents",
                "KafkaClient",
                "ServerSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "BridgeTests",
            dependencies: [
                "Bridge",
                "CallEvents",
                "KafkaClient",
                "ServerSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ServerSupportTests",
            dependencies: [
                "ServerSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "Simulator",
                "WireFormats",
                "Ingest",
                "Settings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SettingsTests",
            dependencies: [
                "Settings",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EmbeddedBrokerTests",
            dependencies: ["EmbeddedBroker"]
        ),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: [
                "KafkaClient",
                "EmbeddedBroker",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The hot-path benchmarks (Benchmarks/, with ordo-one/benchmark) join the package only when
// CALLBRIDGE_BENCHMARKS is set, as scripts/bench-hotpaths.sh does: other builds, CI's among
// them, neither fetch nor compile the benchmark framework (docs/benchmarks.md).
if ProcessInfo.processInfo.environment["CALLBRIDGE_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    // A target in Benchmarks/NAME, with the framework; the executables are the suites the plugin runs.
    func benchmarks(_ name: String, _ dependencies: [Target.Dependency], suite: Bool = true) -> Target {
        let dependencies = dependencies + [.product(name: "Benchmark", package: "benchmark")]
        guard suite else { return .target(name: name, dependencies: dependencies, path: "Benchmarks/\(name)") }
        return .executableTarget(
            name: name,
            dependencies: ["HotPathBenchmarkSupport"] + dependencies,
            path: "Benchmarks/\(name)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    }
    package.targets += [
        // What every hot-path benchmark measures and allows, and the sample events.
        benchmarks("HotPathBenchmarkSupport", ["CallEvents"], suite: false),
        benchmarks(
            "IngestBenchmarks",
            [
                "Ingest",
                "Settings",
                "Simulator",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        benchmarks("CallEventBenchmarks", ["CallEvents", .product(name: "NIOCore", package: "swift-nio")]),
        benchmarks(
            "BridgeBenchmarks",
            [
                "Bridge",
                "CallEvents",
                "Settings",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ]
}
