import ServiceLifecycle

/// Periodically expires active calls past the maximum call length and history past its
/// age, so rooms that receive no events still age.
struct RoomMaintenance: Service {
    let hub: RoomHub
    var interval: Duration = .seconds(30)

    func run() async throws {
        // Sleeps end at once on graceful shutdown.
        await cancelWhenGracefulShutdown { await maintain() }
    }

    private func maintain() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            hub.maintain()
            try? await Task.sleep(for: interval)
        }
    }
}
