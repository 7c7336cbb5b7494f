import CallEvents

/// Who a dashboard token speaks for, and so which rooms it may join.
enum DashboardIdentity: Sendable, Hashable {
    /// May join `admin` and every `client:*` room.
    case admin
    /// May join only `client:{clientID}`.
    case client(ClientID)

    /// The room joined on connect.
    var ownRoom: RoomName {
        switch self {
        case .admin: .admin
        case .client(let clientID): .client(clientID)
        }
    }

    func mayJoin(_ room: RoomName) -> Bool {
        switch (self, room) {
        case (.admin, _): true
        case (.client(let own), .client(let requested)): own == requested
        case (.client, .admin): false
        }
    }
}
