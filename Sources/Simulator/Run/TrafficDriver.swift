import Foundation
import Logging
import NIOCore
import NIOPosix

/// Runs a simulation: paces deliveries at `--rate`, posts them over the connection pool,
/// hands every answer back to the ``TrafficSimulation``, shows progress, and stops on
/// `--duration`, `--calls` or a signal. Returns the summary.
package struct TrafficDriver: Sendable {
    let configuration: SimulatorConfiguration
    let logger: Logger
    var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    package init(configuration: SimulatorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    package func run() async throws -> RunSummary {
        let simulation = try TrafficSimulation(configuration: configuration, logger: logger)
        let pool = ConnectionPool(target: configuration.target, group: eventLoopGroup)
        let signals = StopSignals()
        let clock = ContinuousClock()
        let start = clock.now
        let progress = configuration.progress ? ProgressLine(overwrites: isatty(STDERR_FILENO) == 1) : nil

        logger.info(
            "starting",
            metadata: [
                "url": "\(configuration.target)", "rate": "\(configuration.rate)/s",
                "providers": "\(configuration.providers)",
                "clients": "\(configuration.clients)", "connections": "\(configuration.connections)",
                "duration": "\(configuration.duration.map { "\($0) s" } ?? "-")",
                "calls": "\(configuration.calls.map(String.init) ?? "-")",
                "timeScale": "\(configuration.timeScale)",
            ]
        )

        let reporter = progress.map { line in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { break }
                    let statistics = await simulation.statistics
                    line.write(line.render(statistics, elapsedSeconds: Self.seconds(clock.now - start)))
                }
            }
        }

        var interrupted = false
        await withTaskGroup(of: Void.self) { group in
            let interval = Duration.seconds(1 / configuration.rate)
            var nextSlot = clock.now
            var draining = false
            while true {
                if !draining {
                    if signals.received {
                        interrupted = true
                        draining = true
                    } else if let duration = configuration.duration, clock.now - start >= .seconds(duration) {
                        draining = true
                    }
                    if draining { await simulation.drain() }
                }
                // Deliveries go out at the rate; once draining, as fast as the connections allow.
                if !draining, clock.now < nextSlot {
                    try? await clock.sleep(until: min(nextSlot, clock.now + .milliseconds(100)))
                    continue
                }
                let step = await simulation.next(now: clock.now, date: Date())
                switch step {
                case .send(let job):
                    // A late loop catches up by at most a second's worth of deliveries.
                    nextSlot = max(nextSlot + interval, clock.now - .seconds(1))
                    group.addTask {
                        let sentAt = clock.now
                        let outcome = await Self.post(job, pool: pool)
                        let answeredAt = clock.now
                        await simulation.record(job, outcome: outcome, latency: answeredAt - sentAt, now: answeredAt)
                    }
                case .wait(let until):
                    let soon = clock.now + .milliseconds(2)
                    let wake = until.map { max(soon, min($0, clock.now + .milliseconds(100))) } ?? soon
                    try? await clock.sleep(until: wake)
                case .finished:
                    await group.waitForAll()
                    reporter?.cancel()
                    progress?.finish()
                    await pool.closeAll()
                    await simulation.close()
                    return
                }
            }
        }
        let statistics = await simulation.statistics
        return RunSummary(
            statistics: statistics,
            elapsedSeconds: Self.seconds(clock.now - start),
            targetRate: configuration.rate,
            url: configuration.target.baseURL,
            clients: configuration.clients,
            connectionsOpened: await pool.connectionsOpened,
            abortReason: await simulation.abortReason,
            interrupted: interrupted
        )
    }

    /// Signs `job` now (timestamped schemes sign the moment of sending) and posts it.
    private static func post(_ job: DeliveryJob, pool: ConnectionPool) async -> Result<WebhookAnswer, any Error> {
        let content = job.content
        var headers: [(name: String, value: String)] = [("Content-Type", content.contentType)]
        headers += content.extraHeaders
        headers += job.signer.headers(
            body: content.body, url: job.publicURL, formParameters: content.formParameters, date: Date())
        do {
            return .success(try await pool.post(content.pathAndQuery, headers: headers, body: content.body))
        } catch {
            return .failure(error)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
