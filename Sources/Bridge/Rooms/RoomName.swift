import CallEvents

/// A dashboard room: `admin` sees every call, `client:{clientId}` the calls of one client.
/// Rooms compare byte for byte, as their ``ClientID``s do.
package enum RoomName: Hashable, Sendable, CustomStringConvertible {
    case admin
    case client(ClientID)

    /// Parses `admin` or `client:{clientId}`; nil for anything else, including a client id
    /// that is not a ``ClientID``.
    init?(parsing text: String) {
        if text == "admin" {
            self = .admin
            return
        }
        guard text.hasPrefix("client:"), let clientID = ClientID(String(text.dropFirst("client:".count))) else {
            return nil
        }
        self = .client(clientID)
    }

    /// The rooms an event of `clientID`'s call is published to. Decoding refuses events whose
    /// clientId is not a ``ClientID``; should one get here anyway, only `admin` sees it.
    static func rooms(forClient clientID: String) -> [RoomName] {
        guard let clientID = ClientID(clientID) else { return [.admin] }
        return [.admin, .client(clientID)]
    }

    package var description: String {
        switch self {
        case .admin: "admin"
        case .client(let clientID): "client:\(clientID)"
        }
    }

    /// For metrics: a bounded label.
    var kind: String {
        switch self {
        case .admin: "admin"
        case .client: "client"
        }
    }
}
