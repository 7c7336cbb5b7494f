import NIOCore

/// Keep-alive connections to Ingest, reused across webhooks. The caller bounds how many
/// webhooks are in flight, so the pool opens at most that many connections; a connection
/// that failed or that Ingest closes is dropped and replaced on the next request.
actor ConnectionPool {
    /// Connections idle longer than this are closed rather than reused: Ingest closes idle
    /// keep-alive connections after its `--idle-timeout-ms` (60 s by default), and a request
    /// written just as it does so would fail.
    static let maxIdle = Duration.seconds(20)

    private let target: TargetURL
    private let group: any EventLoopGroup
    private let answerTimeout: TimeAmount
    private var idle: [(connection: IngestConnection, since: ContinuousClock.Instant)] = []
    private var opened = 0

    init(target: TargetURL, group: any EventLoopGroup, answerTimeout: TimeAmount = .seconds(30)) {
        self.target = target
        self.group = group
        self.answerTimeout = answerTimeout
    }

    /// Connections opened so far (reconnections included).
    var connectionsOpened: Int { opened }

    /// Posts one webhook on an idle connection (or a new one) and returns the answer.
    ///
    /// A request that fails on a reused connection is tried once more on a new one: the
    /// server may have closed the connection while it sat idle (a closed connection is only
    /// noticed when it is written to). Failures on a new connection are the caller's.
    func post(
        _ pathAndQuery: String, headers: [(name: String, value: String)], body: [UInt8]
    ) async throws -> WebhookAnswer {
        let (connection, reused) = try await checkOut()
        do {
            return try await exchange(on: connection, pathAndQuery, headers: headers, body: body)
        } catch  where reused {
            let fresh = try await connect()
            return try await exchange(on: fresh, pathAndQuery, headers: headers, body: body)
        }
    }

    func closeAll() {
        for entry in idle { entry.connection.close() }
        idle.removeAll()
    }

    private func exchange(
        on connection: IngestConnection, _ pathAndQuery: String, headers: [(name: String, value: String)], body: [UInt8]
    ) async throws -> WebhookAnswer {
        do {
            let answer = try await connection.post(pathAndQuery, headers: headers, body: body)
            if answer.closesConnection || !connection.isUsable {
                connection.close()
            } else {
                idle.append((connection, ContinuousClock.now))
            }
            return answer
        } catch {
            connection.close()
            throw error
        }
    }

    private func checkOut() async throws -> (IngestConnection, reused: Bool) {
        let now = ContinuousClock.now
        while let entry = idle.popLast() {
            if entry.connection.isUsable, now - entry.since < Self.maxIdle { return (entry.connection, true) }
            entry.connection.close()
        }
        return (try await connect(), false)
    }

    private func connect() async throws -> IngestConnection {
        opened += 1
        return try await IngestConnection.connect(to: target, group: group, answerTimeout: answerTimeout)
    }
}
