import EmbeddedBroker
import Foundation
import Logging
import ServiceLifecycle
import Settings

/// The broker as a service: starts Tansu, announces it, runs until graceful shutdown
/// (SIGINT or SIGTERM, handled by the `ServiceGroup`) and then stops it.
///
/// Throws `ExitCode(1)`, after a message on stderr, when Tansu cannot be started, the
/// ready file cannot be written, or Tansu exits on its own.
struct BrokerService: Service {
    let configuration: EmbeddedBroker.Configuration
    let readyFile: String?
    let logger: Logger

    func run() async throws {
        let broker: EmbeddedBroker
        do {
            broker = try await cancelWhenGracefulShutdown { [configuration, logger] in
                try await EmbeddedBroker.start(configuration, logger: logger)
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            logger.info("shutdown requested during startup; Tansu stopped")
            return
        } catch {
            Self.printError("callbridge-broker: could not start the broker.\n\(error)")
            throw ExitCode(1)
        }

        if let readyFile {
            do {
                try Self.writeAtomically("\(broker.bootstrapServers)\n", to: readyFile)
            } catch {
                await broker.stop()
                Self.printError("callbridge-broker: could not write the ready file \(readyFile): \(error)")
                throw ExitCode(1)
            }
        }
        FileHandle.standardOutput.write(
            Data("callbridge-broker: ready on \(broker.bootstrapServers) (tansu log: \(broker.logPath))\n".utf8))

        // nil: graceful shutdown came first.
        let termination = await cancelWhenGracefulShutdown { await broker.waitUntilExit() }
        if termination == nil { logger.info("stopping Tansu") }
        await broker.stop()
        if let termination {
            Self.printError(
                "callbridge-broker: Tansu exited unexpectedly (\(termination)); see its log: \(broker.logPath)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }

    static func writeAtomically(_ text: String, to path: String) throws {
        let temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: reason])
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
