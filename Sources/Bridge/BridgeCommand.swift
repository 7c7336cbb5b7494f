import ArgumentParser

/// `Bridge`: Kafka to WebSocket rooms. Not built yet (issue 4); until then it says so
/// and exits non-zero rather than pretending to serve.
@main
struct BridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Bridge",
        abstract: "Consumes call events from Kafka and pushes them to WebSocket dashboards (not implemented yet).",
        discussion: "The Bridge service is tracked by issue 4; this executable does not serve anything yet."
    )

    func run() throws {
        throw ValidationError("Bridge is not implemented yet (issue 4): nothing to run")
    }
}
