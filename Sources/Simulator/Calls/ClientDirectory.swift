/// The simulated tenants: `count` clientIds, each with the business numbers its calls use.
/// A few clients carry most of the traffic (weights 1/rank), as on a real platform.
struct ClientDirectory: Sendable {
    struct Client: Sendable {
        var id: String
        /// The client's own numbers (fake: +1 555 …), the `to` of inbound calls.
        var numbers: [String]
        var weight: Double
    }

    /// Names of fictional companies; past these, `client-N`.
    private static let names = [
        "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "soylent",
        "cyberdyne", "aperture", "vandelay", "dunder-mifflin", "oceanic", "monarch", "massive-dynamic",
        "pied-piper", "gringotts", "duff",
    ]

    let clients: [Client]

    init(count: Int, random: inout SeededRandom) {
        clients = (0..<count).map { index in
            let id = index < Self.names.count ? Self.names[index] : "client-\(index + 1)"
            let numbers = (0..<(1 + Int(random.next() % 3))).map { _ in FakePhoneNumber.draw(using: &random) }
            return Client(id: id, numbers: numbers, weight: 1 / Double(index + 1))
        }
    }

    func pick(using random: inout SeededRandom) -> Client {
        random.weighted(clients.map { ($0, $0.weight) })
    }
}
