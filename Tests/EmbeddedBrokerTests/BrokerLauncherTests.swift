import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `callbridge-broker` executable as the run script and pytest do.
@Suite("callbridge-broker executable", .timeLimit(.minutes(2)))
struct BrokerLauncherTests {
    struct Running {
        let process: Process
        let port: Int
        let readyFile: String
        let stdoutPath: String
        let directory: URL

        /// Removes the test's directory and the Tansu log directory named in the ready
        /// line (kept by callbridge-broker when Tansu crashed or it was killed).
        func cleanUp() {
            if let output = try? String(contentsOfFile: stdoutPath, encoding: .utf8),
                let start = output.range(of: "(tansu log: "),
                let end = output[start.upperBound...].firstIndex(of: ")")
            {
                let log = String(output[start.upperBound..<end])
                try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent)
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Starts `callbridge-broker --port 0 --ready-file F` and waits for F.
    func launch() async throws -> Running {
        let binary = try TestSupport.launcherPath()
        let directory = try TestSupport.makeTemporaryDirectory()
        let readyFile = directory.appendingPathComponent("broker.ready").path
        let stdoutPath = directory.appendingPathComponent("stdout").path
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", "0", "--ready-file", readyFile]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ready = await TestSupport.eventually(within: .seconds(30)) {
            FileManager.default.fileExists(atPath: readyFile) || !process.isRunning
        }
        try #require(ready && process.isRunning, "callbridge-broker did not write \(readyFile)")
        let contents = try String(contentsOfFile: readyFile, encoding: .utf8)
        try #require(contents.hasPrefix("127.0.0.1:") && contents.hasSuffix("\n"), "ready file: \(contents)")
        let port = try #require(Int(contents.dropFirst("127.0.0.1:".count).dropLast()))
        return Running(process: process, port: port, readyFile: readyFile, stdoutPath: stdoutPath, directory: directory)
    }

    @Test("runs a broker, writes the ready file, and exits 0 on SIGTERM")
    func readyFileAndSigterm() async throws {
        let running = try await launch()
        defer { running.cleanUp() }
        #expect(TestSupport.canConnect(port: running.port))

        running.process.terminate()  // SIGTERM
        #expect(await TestSupport.eventually(within: .seconds(15)) { !running.process.isRunning })
        #expect(running.process.terminationReason == .exit)
        #expect(running.process.terminationStatus == 0)
        #expect(!TestSupport.canConnect(port: running.port))
        #expect(!FileManager.default.fileExists(atPath: running.readyFile))
        let output = try String(contentsOfFile: running.stdoutPath, encoding: .utf8)
        #expect(output.hasPrefix("callbridge-broker: ready on 127.0.0.1:\(running.port) (tansu log: "))
    }

    @Test("exits 0 on SIGINT too")
    func sigint() async throws {
        let running = try await launch()
        defer { running.cleanUp() }
        running.process.interrupt()  // SIGINT
        #expect(await TestSupport.eventually(within: .seconds(15)) { !running.process.isRunning })
        #expect(running.process.terminationReason == .exit)
        #expect(running.process.terminationStatus == 0)
        #expect(!TestSupport.canConnect(port: running.port))
    }

    #if os(Linux)
    @Test("Tansu dies when callbridge-broker is killed with SIGKILL (no orphan)")
    func noOrphanAfterSigkill() async throws {
        let running = try await launch()
        defer { running.cleanUp() }
        let launcherPid = running.process.processIdentifier
        let children = TestSupport.children(of: launcherPid)
        try #require(children.count == 1, "children of callbridge-broker: \(children)")
        let tansuPid = children[0]
        let command = (try? String(contentsOfFile: "/proc/\(tansuPid)/cmdline", encoding: .utf8)) ?? ""
        #expect(command.contains("tansu"))
        #expect(TestSupport.isAlive(tansuPid))

        kill(launcherPid, SIGKILL)
        #expect(await TestSupport.eventually(within: .seconds(10)) { !running.process.isRunning })
        #expect(running.process.terminationReason == .uncaughtSignal)
        #expect(await TestSupport.eventually(within: .seconds(10)) { !TestSupport.isAlive(tansuPid) })
        #expect(!TestSupport.canConnect(port: running.port))
    }

    @Test("exits non-zero when Tansu dies on its own")
    func tansuDiesUnexpectedly() async throws {
        let running = try await launch()
        defer { running.cleanUp() }
        let children = TestSupport.children(of: running.process.processIdentifier)
        try #require(children.count == 1)
        kill(children[0], SIGKILL)
        #expect(await TestSupport.eventually(within: .seconds(10)) { !running.process.isRunning })
        #expect(running.process.terminationReason == .exit)
        #expect(running.process.terminationStatus == 1)
        #expect(!FileManager.default.fileExists(atPath: running.readyFile))
    }
    #endif

    @Test("exits 0 on SIGTERM during startup, and stops the Tansu it was starting")
    func sigtermDuringStartup() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("pid").path
        let readyFile = directory.appendingPathComponent("broker.ready").path
        let fake = try TestSupport.makeScript("echo $$ > '\(pidFile)'\nexec sleep 300", in: directory)
        // A script just written can fail to exec for a moment (ETXTBSY, see
        // TestSupport.startWithFreshScript): then the launcher exits 1 at once; try again.
        var process = Process()
        for _ in 0..<10 {
            process = Process()
            process.executableURL = URL(fileURLWithPath: try TestSupport.launcherPath())
            process.arguments = ["--port", "0", "--tansu", fake, "--ready-file", readyFile, "--startup-timeout", "60"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            _ = await TestSupport.eventually(within: .seconds(10)) {
                FileManager.default.fileExists(atPath: pidFile) || !process.isRunning
            }
            if process.isRunning { break }
        }
        let fakePid = try #require(
            Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(TestSupport.isAlive(fakePid))

        process.terminate()  // SIGTERM, while it waits for the fake to answer
        #expect(await TestSupport.eventually(within: .seconds(15)) { !process.isRunning })
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(await TestSupport.eventually { !TestSupport.isAlive(fakePid) })
        #expect(!FileManager.default.fileExists(atPath: readyFile))
    }

    @Test("--help describes the command")
    func help() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestSupport.launcherPath())
        process.arguments = ["--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for expected in ["--host", "--port", "--tansu", "--ready-file", "--log-level", "SIGTERM", "BROKER_PORT"] {
            #expect(output.contains(expected), "help lacks \(expected)")
        }
    }
}
