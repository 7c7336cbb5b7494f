/// A dashboard room: `admin` sees every call, `client:{clientId}` the calls of one client.
enum RoomName: Hashable, Sendable, CustomStringConvertible {
    case admin
    case client(String)

    /// Longest accepted client id, in UTF-8 bytes: room names arrive from clients.
    static let maximumClientIDBytes = 256

    /// Parses `admin` or `client:{clientId}`; nil for anything else.
    init?(parsing text: String) {
        if text == "admin" {
            self = .admin
            return
        }
        guard text.hasPrefix("client:") else { return nil }
        let clientID = String(text.dropFirst("client:".count))
        guard Self.isValidClientID(clientID) else { return nil }
        self = .client(clientID)
    }

    /// The rooms an event of `clientID`'s call is published to.
    static func rooms(forClient clientID: String) -> [RoomName] {
        [.admin, .client(clientID)]
    }

    static func isValidClientID(_ clientID: String) -> Bool {
        !clientID.isEmpty
            && clientID.utf8.count <= maximumClientIDBytes
            && !clientID.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    var description: String {
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
