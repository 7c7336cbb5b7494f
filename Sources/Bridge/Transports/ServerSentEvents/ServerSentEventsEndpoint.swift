import CallEvents
import NIOCore

/// `GET /events`: checks the token (`Authorization: Bearer` or `?token=`), the rooms
/// (`?rooms=` a comma-separated list an admin may pick; default the token's own room) and
/// the `Last-Event-ID` of a reconnecting `EventSource` (or `?lastEventId=`), and decides how
/// the stream opens.
struct ServerSentEventsEndpoint: Sendable {
    let dependencies: SubscriberDependencies

    /// How the stream of a `GET` opens, or the refusal to answer instead. Completes on `loop`.
    func opening(
        authorization: String?, lastEventID: String?, target: RequestTarget, on loop: any EventLoop
    )
        -> EventLoopFuture<Result<Subscriber.Opening, WebSocketUpgrade.Refusal>>
    {
        typealias Answer = Result<Subscriber.Opening, WebSocketUpgrade.Refusal>
        guard let token = WebSocketUpgrade.token(authorization: authorization, target: target) else {
            return loop.makeSucceededFuture(
                .failure(
                    .init(
                        status: .unauthorized,
                        message: "a token is required: Authorization: Bearer <token> or ?token=<token>"
                    )))
        }
        let lastEventID = lastEventID ?? target.query["lastEventId"]
        let maximumRooms = dependencies.settings.maximumRoomsPerConnection
        let promise = loop.makePromise(of: Result<DashboardIdentity, TokenRejection>.self)
        promise.completeWithTask { [verifier = dependencies.verifier] in await verifier.verify(token) }
        return promise.futureResult.map { result -> Answer in
            let identity: DashboardIdentity
            switch result {
            case .success(let verified): identity = verified
            case .failure(let rejection): return .failure(.init(status: .unauthorized, message: rejection.message))
            }
            var rooms: [RoomName] = []
            if let list = target.query["rooms"], !list.isEmpty {
                for text in list.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let room = RoomName(parsing: String(text)) else {
                        return .failure(
                            .init(
                                status: .badRequest,
                                message:
                                    "no room \"\(text.prefix(64))\": rooms are admin and client:{clientId}, a clientId being \(ClientID.rule)"
                            ))
                    }
                    guard identity.mayJoin(room) else {
                        return .failure(.init(status: .forbidden, message: "this token may not join \(room)"))
                    }
                    if !rooms.contains(room) { rooms.append(room) }
                }
                guard rooms.count <= maximumRooms else {
                    return .failure(
                        .init(status: .badRequest, message: "a stream may carry at most \(maximumRooms) rooms"))
                }
            } else {
                rooms = [identity.ownRoom]
            }
            var since: [RoomName: RoomPosition] = [:]
            if let lastEventID {
                // An id this server did not issue, or without a room's part: that room starts
                // over from a snapshot with recovered:false.
                let positions = ServerSentEventsProtocol.positions(inID: lastEventID, rooms: rooms) ?? [:]
                for room in rooms { since[room] = positions[room] ?? .unrecoverable }
            }
            return .success(.serverSentEvents(identity: identity, rooms: rooms, since: since))
        }
    }
}
