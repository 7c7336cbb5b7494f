import Foundation
import Testing

@testable import EmbeddedBroker

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real Tansu processes on free loopback ports; nothing is mocked.
@Suite("EmbeddedBroker", .timeLimit(.minutes(2)))
struct EmbeddedBrokerTests {
    @Test("starts on a free port and answers Kafka requests")
    func startsOnFreePort() async throws {
        let broker = try await EmbeddedBroker.start()
        defer { withExtendedLifetime(broker) {} }
        #expect(broker.host == "127.0.0.1")
        #expect(broker.port > 0 && broker.port < 65536)
        #expect(broker.bootstrapServers == "127.0.0.1:\(broker.port)")
        #expect(broker.isRunning)
        #expect(broker.processIdentifier != nil)
        #expect(TestSupport.canConnect(port: broker.port))
        #expect(Sockets.probe(host: "127.0.0.1", port: broker.port, timeoutMilliseconds: 2000) == .kafka)
        #if os(Linux)
        let pid = try #require(broker.processIdentifier)
        #expect(ListenerOwnership.check(pid: pid, port: broker.port) == .owned)
        #expect(ListenerOwnership.check(pid: getpid(), port: broker.port) == .notOwned)
        #endif
        #expect(FileManager.default.fileExists(atPath: broker.logPath))
        let log = try String(contentsOfFile: broker.logPath, encoding: .utf8)
        #expect(log.contains("tcp://127.0.0.1:\(broker.port)"))
        await broker.stop()
    }

    @Test("brokers started at the same time get different ports")
    func concurrentBrokersGetDifferentPorts() async throws {
        async let first = EmbeddedBroker.start()
        async let second = EmbeddedBroker.start()
        async let third = EmbeddedBroker.start()
        let brokers = try await [first, second, third]
        #expect(Set(brokers.map(\.port)).count == 3)
        #expect(Set(brokers.map(\.logPath)).count == 3)
        for broker in brokers {
            #expect(TestSupport.canConnect(port: broker.port))
        }
        for broker in brokers { await broker.stop() }
    }

    @Test("stop ends the process and the port refuses connections; stop is idempotent")
    func stopEndsProcess() async throws {
        let broker = try await EmbeddedBroker.start()
        let pid = try #require(broker.processIdentifier)
        #expect(TestSupport.isAlive(pid))
        await broker.stop()
        #expect(!broker.isRunning)
        #expect(broker.processIdentifier == nil)
        #expect(!TestSupport.isAlive(pid))
        #expect(!TestSupport.canConnect(port: broker.port))
        await broker.stop()  // again: nothing to do
        async let a: Void = broker.stop()
        async let b: Void = broker.stop()
        _ = await (a, b)
        #expect(!broker.isRunning)
    }

    @Test("restart comes back on the same port with a new process, even with a client connected")
    func restartKeepsPort() async throws {
        let broker = try await EmbeddedBroker.start()
        let port = broker.port
        let firstPid = try #require(broker.processIdentifier)
        // A connection open across the restart leaves the server side in TIME_WAIT.
        let connection = try #require(TestSupport.openConnection(port: port))
        defer { close(connection) }

        let restartStarted = ContinuousClock.now
        try await broker.restart()
        // Tansu drains open connections for ~5 s on SIGTERM; stop() does not wait for that.
        #expect(ContinuousClock.now - restartStarted < .seconds(4))
        #expect(broker.port == port)
        #expect(broker.bootstrapServers == "127.0.0.1:\(port)")
        let secondPid = try #require(broker.processIdentifier)
        #expect(secondPid != firstPid)
        #expect(!TestSupport.isAlive(firstPid))
        #expect(TestSupport.canConnect(port: port))
        #expect(Sockets.probe(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000) == .kafka)

        // restart after stop starts it again too
        await broker.stop()
        #expect(!TestSupport.canConnect(port: port))
        try await broker.restart()
        #expect(broker.isRunning)
        #expect(TestSupport.canConnect(port: port))
        await broker.stop()
    }

    @Test("a broker released while running is stopped, and its log directory removed")
    func deinitStopsBroker() async throws {
        var pid: Int32 = 0
        var port = 0
        var logPath = ""
        do {
            let broker = try await EmbeddedBroker.start()
            pid = try #require(broker.processIdentifier)
            port = broker.port
            logPath = broker.logPath
        }
        #expect(await TestSupport.eventually { !TestSupport.isAlive(pid) })
        #expect(!TestSupport.canConnect(port: port))
        #expect(!FileManager.default.fileExists(atPath: logPath))
    }

    @Test("the log of a broker that died on its own is kept")
    func crashKeepsLog() async throws {
        var logPath = ""
        do {
            let broker = try await EmbeddedBroker.start()
            logPath = broker.logPath
            kill(try #require(broker.processIdentifier), SIGKILL)
            let termination = await broker.waitUntilExit()
            #expect(termination == EmbeddedBroker.Termination(status: SIGKILL, signaled: true))
            #expect(!broker.isRunning)
            await broker.stop()
        }
        #expect(FileManager.default.fileExists(atPath: logPath))
        try? FileManager.default.removeItem(atPath: (logPath as NSString).deletingLastPathComponent)
    }

    @Test("waitUntilExit returns nil when its task is cancelled, and Tansu keeps running")
    func waitUntilExitCancelled() async throws {
        let broker = try await EmbeddedBroker.start()
        let waiter = Task { await broker.waitUntilExit() }
        try await Task.sleep(for: .milliseconds(200))
        waiter.cancel()
        #expect(await waiter.value == nil)
        #expect(broker.isRunning)
        #expect(TestSupport.canConnect(port: broker.port))
        await broker.stop()
        #expect(await broker.waitUntilExit() == nil)  // stopped: nil at once
    }

    @Test("a missing binary gives a clear EmbeddedBrokerError")
    func missingBinary() async throws {
        let error = try await #require(throws: EmbeddedBrokerError.self) {
            try await EmbeddedBroker.start(.init(tansuPath: "/nonexistent/bin/tansu"))
        }
        #expect(error.kind == .binaryNotFound)
        #expect(error.description.contains("/nonexistent/bin/tansu"))
        #expect(error.description.contains("does not exist"))
        #expect(error.description.contains("scripts/setup.sh"))
    }

    @Test("TANSU_BIN pointing nowhere is reported as such")
    func missingBinaryFromEnvironment() throws {
        let error = try #require(throws: EmbeddedBrokerError.self) {
            try TansuLocator.resolve(nil, environment: ["TANSU_BIN": "/nonexistent/tansu", "PATH": "/nonexistent"])
        }
        #expect(error.kind == .binaryNotFound)
        #expect(error.description.contains("TANSU_BIN"))
        #expect(error.description.contains("scripts/setup.sh"))
    }

    @Test("the project's .venv/bin/tansu is found from a subdirectory")
    func findsVenvTansuFromSubdirectory() throws {
        let root = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let bin = root.appendingPathComponent(".venv/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let tansu = try TestSupport.makeScript("exit 0", in: bin, name: "tansu")
        let nested = root.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let found = try TansuLocator.resolve(nil, environment: ["PATH": "/nonexistent"], currentDirectory: nested.path)
        #expect(URL(fileURLWithPath: found).standardizedFileURL == URL(fileURLWithPath: tansu).standardizedFileURL)
    }

    @Test("an explicit port that is taken fails with a clear message")
    func explicitPortInUse() async throws {
        let first = try await EmbeddedBroker.start()
        defer { withExtendedLifetime(first) {} }
        let error = try await #require(throws: EmbeddedBrokerError.self) {
            try await EmbeddedBroker.start(.init(port: first.port))
        }
        if let logPath = error.logPath {
            try? FileManager.default.removeItem(atPath: (logPath as NSString).deletingLastPathComponent)
        }
        #expect(error.kind == .exitedEarly)
        #expect(error.description.contains("already in use"))
        #expect(error.outputTail?.isEmpty == false)
        // The running broker is unaffected.
        #expect(Sockets.probe(host: "127.0.0.1", port: first.port, timeoutMilliseconds: 2000) == .kafka)
        await first.stop()
    }

    @Test("a broker that exits at once is reported with its status and output")
    func exitedEarly() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fake = try TestSupport.makeScript("echo 'fake tansu: bad configuration' >&2\nexit 3", in: directory)
        let error = try await #require(throws: EmbeddedBrokerError.self) {
            try await TestSupport.startWithFreshScript(.init(tansuPath: fake))
        }
        if let logPath = error.logPath {
            try? FileManager.default.removeItem(atPath: (logPath as NSString).deletingLastPathComponent)
        }
        #expect(error.kind == .exitedEarly)
        #expect(error.exitStatus == 3)
        #expect(error.description.contains("exit status 3"))
        #expect(error.description.contains("fake tansu: bad configuration"))
    }

    @Test("a broker that never answers times out with the tail of its output, and is killed")
    func startupTimeout() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("pid").path
        let fake = try TestSupport.makeScript(
            "echo $$ > '\(pidFile)'\necho 'fake tansu: warming up forever'\nexec sleep 300", in: directory)
        let started = ContinuousClock.now
        let error = try await #require(throws: EmbeddedBrokerError.self) {
            try await TestSupport.startWithFreshScript(.init(tansuPath: fake, startupTimeout: .seconds(1)))
        }
        if let logPath = error.logPath {
            try? FileManager.default.removeItem(atPath: (logPath as NSString).deletingLastPathComponent)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(error.kind == .startupTimedOut)
        #expect(error.description.contains("within 1.0 seconds"))
        #expect(error.description.contains("fake tansu: warming up forever"))
        let pid = try #require(
            Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await TestSupport.eventually { !TestSupport.isAlive(pid) })
    }
}
