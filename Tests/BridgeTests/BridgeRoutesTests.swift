import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOPosix
import ServerSupport
import Testing

@testable import Bridge

/// The Bridge's HTTP routes through Hummingbird's router (`app.test(.router)`): what each
/// path answers without a network. Polling sessions, upgrades and streams over real
/// connections are tested in Tests/Integration.
struct BridgeRoutesTests {
    static let origin = "https://dash.example.com"

    static func application(
        readiness: Readiness = Readiness(.ready), cors: CORSPolicy = .none
    ) async throws -> some ApplicationProtocol {
        let metrics = BridgeMetrics()
        let dependencies = SubscriberDependencies(
            hub: RoomHub(limits: RoomLimits(), metrics: metrics), readiness: readiness,
            verifier: await DashboardTokenVerifier(secret: String(repeating: "k", count: 40)),
            settings: ConnectionSettings(),
            cors: cors, metrics: metrics, logger: Logger(label: "test")
        )
        let routes = BridgeRoutes(
            dashboard: try DashboardPage.load(),
            readiness: readiness,
            registry: nil,
            polling: PollingEndpoint(sessions: PollingSessions(), dependencies: dependencies),
            events: ServerSentEventsEndpoint(dependencies: dependencies),
            cors: cors,
            fanOuts: LoopFanOuts(group: MultiThreadedEventLoopGroup.singleton, metrics: metrics)
        )
        return Application(responder: routes.buildResponder())
    }

    /// A field of a JSON object body; nil when the body is not one.
    static func field(_ name: String, of buffer: ByteBuffer) -> Any? {
        let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        return object?[name]
    }

    @Test func operationsEndpointsAnswerAsIngestDoes() async throws {
        let readiness = Readiness(.notReady("replaying the event window"))
        try await Self.application(readiness: readiness).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.field("status", of: response.body) as? String == "ok")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(Self.field("error", of: response.body) as? String == "not ready: replaying the event window")
            }
            readiness.update(.ready)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            }
        }
    }

    @Test func dashboardFilesAreServedFromTheResourceBundle() async throws {
        try await Self.application().test(.router) { client in
            for (path, type, words) in [
                ("/", "text/html; charset=utf-8", "<html"), ("/dashboard.css", "text/css; charset=utf-8", "{"),
                ("/dashboard.js", "text/javascript; charset=utf-8", "WebSocket"),
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == type, "\(path)")
                    #expect(String(buffer: response.body).contains(words), "\(path)")
                }
            }
        }
    }

    @Test func unroutedRequestsGetJSONErrors() async throws {
        try await Self.application().test(.router) { client in
            try await client.execute(uri: "/no/such/path", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.field("error", of: response.body) as? String == "no such path: /no/such/path")
            }
            try await client.execute(uri: "/healthz", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(Self.field("error", of: response.body) as? String == "only GET is served")
            }
        }
    }

    @Test func webSocketPathsWithoutAnUpgradeSayHowToConnect() async throws {
        try await Self.application().test(.router) { client in
            try await client.execute(uri: "/ws?token=abc", method: .get) { response in
                #expect(response.status == .upgradeRequired)
                #expect(Self.field("error", of: response.body) as? String != nil)
            }
            try await client.execute(uri: "/socket.io/?EIO=4&transport=websocket", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(Self.field("code", of: response.body) as? Int == 3)
            }
        }
    }

    @Test func socketIOErrorsAndPreflightsCarryCORSHeaders() async throws {
        let cors = try CORSPolicy(parsing: Self.origin)
        try await Self.application(cors: cors).test(.router) { client in
            try await client.execute(
                uri: "/socket.io/?EIO=3&transport=polling", method: .get, headers: [.origin: Self.origin]
            ) { response in
                #expect(response.status == .badRequest)
                #expect(Self.field("code", of: response.body) as? Int == 5)
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
                #expect(response.headers[.accessControlAllowCredentials] == "true")
            }
            try await client.execute(
                uri: "/socket.io/?EIO=4&transport=polling&sid=nope", method: .get, headers: [.origin: Self.origin]
            ) {
                response in
                #expect(response.status == .badRequest)
                #expect(Self.field("message", of: response.body) as? String == "Session ID unknown")
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
            }
            try await client.execute(
                uri: "/socket.io/?EIO=4&transport=polling", method: .options,
                headers: [
                    .origin: Self.origin, .accessControlRequestMethod: "POST",
                    .accessControlRequestHeaders: "content-type",
                ]
            ) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
                #expect(response.headers[.accessControlAllowMethods] == "GET, POST, OPTIONS")
                #expect(response.headers[.accessControlAllowHeaders] == "content-type")
            }
            try await client.execute(
                uri: "/socket.io/?EIO=4&transport=polling", method: .options, headers: [.origin: "https://evil.example"]
            ) {
                response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func eventStreamsNeedAValidToken() async throws {
        try await Self.application().test(.router) { client in
            try await client.execute(uri: "/events", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(Self.field("error", of: response.body) as? String != nil)
            }
            try await client.execute(uri: "/events?token=not.a.jwt", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
