import EmbeddedBroker
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Test helpers written independently of the library's own socket code.
enum TestSupport {
    /// Whether a TCP connection to 127.0.0.1:port is accepted.
    static func canConnect(port: Int, host: String = "127.0.0.1") -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }

    /// Opens a TCP connection and keeps it open; the caller closes the descriptor.
    static func openConnection(port: Int) -> Int32? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Whether a process with this pid is alive (a zombie, already dead but not yet
    /// reaped by its new parent, counts as gone).
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let state = stat[stat.index(close, offsetBy: 2)]
            return state != "Z" && state != "X"
        }
        #endif
        return true
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func eventually(
        within timeout: Duration = .seconds(10),
        _ condition: () -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    #if os(Linux)
    /// Pids whose parent is `parent`, from /proc.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // after ") ": state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent else { return nil }
            return pid
        }
    }
    #endif

    /// A fresh temporary directory.
    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("embedded-broker-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes an executable shell script.
    static func makeScript(_ body: String, in directory: URL, name: String = "fake-tansu") throws -> String {
        let url = directory.appendingPathComponent(name)
        try ("#!/bin/sh\n" + body + "\n").write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    /// `EmbeddedBroker.start` with a freshly written fake binary. Tests run in parallel
    /// and spawn processes, and a child spawned while the script was still open for
    /// writing makes its exec fail with ETXTBSY ("Text file busy", shell status 126)
    /// for a moment; retry that case only.
    static func startWithFreshScript(
        _ configuration: EmbeddedBroker.Configuration
    ) async throws -> EmbeddedBroker {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await EmbeddedBroker.start(configuration)
            } catch let error as EmbeddedBrokerError
                where error.exitStatus == 126 && error.outputTail?.contains("busy") == true && attempt < 10
            {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The built `callbridge-broker` executable: `CALLBRIDGE_BROKER_BIN`, else next to
    /// the test bundle in the build directory (`swift build --build-tests` and
    /// `swift test` build it, as every product of the package).
    static func launcherPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CALLBRIDGE_BROKER_BIN"], !path.isEmpty {
            return path
        }
        var starts: [String] = []
        #if os(Linux)
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(exe)
        }
        #endif
        if let main = Bundle.main.executableURL?.path { starts.append(main) }
        if let first = CommandLine.arguments.first { starts.append(first) }
        for start in starts {
            // debug/CallBridgePackageTests.xctest (Linux) or
            // debug/CallBridgePackageTests.xctest/Contents/MacOS/... (macOS)
            var directory = URL(fileURLWithPath: start).standardizedFileURL.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("callbridge-broker").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw LauncherNotBuilt(searched: starts)
    }

    struct LauncherNotBuilt: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "callbridge-broker is not built next to the test bundle (\(searched)); build it with "
                + "`swift build --build-tests` (same --scratch-path) or set CALLBRIDGE_BROKER_BIN"
        }
    }
}
