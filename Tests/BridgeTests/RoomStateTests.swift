import CallEvents
import Foundation
import NIOCore
import Testing

@testable import Bridge

/// `.client("acme")` for rooms and identities; a literal that is not a client id is a test bug.
extension ClientID: ExpressibleByStringLiteral {
    public init(stringLiteral text: String) {
        self = ClientID(text)!
    }
}

/// Events as Ingest would publish them.
enum Events {
    static let base = Date(timeIntervalSince1970: 1_790_000_000)

    static func started(
        _ callID: String, client: String = "acme", id: String? = nil, at seconds: Double = 0, from: String? = "***4321"
    ) -> CallEvent {
        CallEvent(
            type: .started, id: id ?? "s-\(callID)", time: base.addingTimeInterval(seconds),
            details: CallDetails(
                callId: callID, clientId: client, provider: "generic", direction: "inbound", from: from, to: "***1212",
                startedAt: base.addingTimeInterval(seconds))
        )
    }

    static func ended(
        _ callID: String, client: String = "acme", id: String? = nil, at seconds: Double = 60, duration: Int? = 60,
        reason: String? = "completed", from: String? = nil
    ) -> CallEvent {
        CallEvent(
            type: .ended, id: id ?? "e-\(callID)", time: base.addingTimeInterval(seconds),
            details: CallDetails(
                callId: callID, clientId: client, provider: "generic", from: from,
                endedAt: base.addingTimeInterval(seconds),
                durationSeconds: duration, endReason: reason)
        )
    }

    static func consumed(_ event: CallEvent, partition: Int32 = 0, offset: Int64) -> ConsumedEvent {
        ConsumedEvent(partition: partition, offset: offset, event: event, cloudEvent: event.encoded())
    }
}

@Suite("Room calls")
struct RoomCallsTests {
    @Test("a started call is active; its end moves it to recent, merged with what the start knew")
    func startThenEnd() {
        var calls = RoomCalls()
        calls.apply(Events.started("c1"))
        #expect(calls.activeNewestFirst.map(\.callId) == ["c1"])
        calls.apply(Events.ended("c1"))
        #expect(calls.active.isEmpty)
        #expect(calls.recent.count == 1)
        let merged = calls.recent[0]
        #expect(merged.from == "***4321")  // from the start
        #expect(merged.direction == "inbound")
        #expect(merged.durationSeconds == 60)  // from the end
        #expect(merged.startedAt == Events.base)
        #expect(merged.endedAt == Events.base.addingTimeInterval(60))
    }

    @Test("call.ended without call.started still lands in recent calls")
    func endWithoutStart() {
        var calls = RoomCalls()
        calls.apply(Events.ended("c9"))
        #expect(calls.recent.map(\.callId) == ["c9"])
        #expect(calls.active.isEmpty)
    }

    @Test("a second call.ended fills in fields the first lacked and changes nothing else")
    func secondEndFillsIn() {
        var calls = RoomCalls()
        calls.apply(Events.ended("c1", id: "e1", duration: nil, reason: "customer-ended-call"))
        calls.apply(Events.ended("c1", id: "e2", duration: 42, reason: "other", from: "***9999"))
        #expect(calls.recent.count == 1)
        #expect(calls.recent[0].durationSeconds == 42)
        #expect(calls.recent[0].endReason == "customer-ended-call")
        #expect(calls.recent[0].from == "***9999")
    }

    @Test("recent calls keep the 20 newest, newest first")
    func recentLimit() {
        var calls = RoomCalls()
        for index in 0..<25 { calls.apply(Events.ended("c\(index)", at: Double(index))) }
        #expect(calls.recent.count == 20)
        #expect(calls.recent.first?.callId == "c24")
        #expect(calls.recent.last?.callId == "c5")
    }

    @Test("recent calls are ordered by when they ended, not by arrival: a replay reads partitions one after another")
    func recentOrderedByEnd() {
        var calls = RoomCalls(recentLimit: 3)
        // Partition 0 replayed first (ends at 10 and 40), then partition 1 (20 and 30).
        for (callID, end) in [("p0-a", 10.0), ("p0-b", 40), ("p1-a", 20), ("p1-b", 30)] {
            calls.apply(Events.ended(callID, at: end))
        }
        #expect(calls.recent.map(\.callId) == ["p0-b", "p1-b", "p1-a"])
        calls.apply(Events.ended("older-than-all", at: 5))  // the list is full and this is older
        #expect(calls.recent.map(\.callId) == ["p0-b", "p1-b", "p1-a"])
        calls.apply(Events.ended("same-time", at: 30))  // a tie goes after the one that came first
        #expect(calls.recent.map(\.callId) == ["p0-b", "p1-b", "same-time"])
    }

    @Test("active calls are newest first, and expire after the maximum call length")
    func activeOrderAndExpiry() {
        var calls = RoomCalls()
        calls.apply(Events.started("old", at: 0))
        calls.apply(Events.started("new", at: 3 * 3600))
        #expect(calls.activeNewestFirst.map(\.callId) == ["new", "old"])
        calls.expire(now: Events.base.addingTimeInterval(4 * 3600 + 1), maximumLength: 4 * 3600)
        #expect(calls.activeNewestFirst.map(\.callId) == ["new"])
    }

    @Test("a late call.started for an ended call does not make it active again")
    func lateStart() {
        var calls = RoomCalls()
        calls.apply(Events.ended("c1"))
        calls.apply(Events.started("c1"))
        #expect(calls.active.isEmpty)
        #expect(calls.recent[0].from == "***4321")
    }

    @Test("past the active limit (and its tenth of slack) the oldest active calls are dropped")
    func activeLimit() {
        var calls = RoomCalls(activeLimit: 20)
        for index in 0..<22 { calls.apply(Events.started("c\(index)", at: Double(index))) }
        #expect(calls.active.count == 22)  // within the slack
        calls.apply(Events.started("c22", at: 22))
        #expect(Set(calls.active.keys) == Set((3...22).map { "c\($0)" }))
    }
}

@Suite("Room history and positions")
struct RoomHistoryTests {
    static func entry(_ partition: Int32, _ offset: Int64) -> RoomHistory.Entry {
        .init(
            event: Events.consumed(Events.started("c\(partition)-\(offset)"), partition: partition, offset: offset),
            position: "", storedAt: .now)
    }

    @Test("positions round-trip through their opaque form")
    func positionRoundTrip() throws {
        var position = RoomPosition()
        position.advance(partition: 0, offset: 5)
        position.advance(partition: 3, offset: 1_234_567_890_123)
        position.advance(partition: 0, offset: 2)  // never goes back
        let decoded = try #require(RoomPosition(encoded: position.encoded))
        #expect(decoded == position)
        #expect(decoded.offsets == [0: 5, 3: 1_234_567_890_123])
        #expect(RoomPosition(encoded: RoomPosition().encoded) == RoomPosition())
        let other = RoomPosition(incarnation: 0xDEAD_BEEF, offsets: [1: 2])
        #expect(RoomPosition(encoded: other.encoded) == other)
        #expect(
            RoomPosition(encoded: other.encoded) != RoomPosition(offsets: [1: 2]),
            "the incarnation is part of the position")
    }

    @Test(
        "garbage is not a position",
        arguments: [
            "", "!!!", "AgUA", "AQUAAA", "AQ" + String(repeating: "_", count: 20), String(repeating: "A", count: 5000),
        ])
    func garbagePosition(_ text: String) {
        #expect(RoomPosition(encoded: text) == nil)
    }

    @Test("replay returns exactly the entries after a position, in order")
    func replayAfter() throws {
        var history = RoomHistory(maximumCount: 10, maximumAge: .seconds(60))
        for (partition, offset) in [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3)] as [(Int32, Int64)] {
            history.append(Self.entry(partition, offset))
        }
        let since = RoomPosition(offsets: [0: 2, 1: 1])
        let missed = try #require(history.entries(after: since))
        #expect(missed.map { "\($0.partition)/\($0.offset)" } == ["1/2", "0/3"])
        #expect(history.entries(after: RoomPosition(offsets: [0: 3, 1: 2]))?.isEmpty == true)
    }

    @Test("a resume needing a dropped entry is refused; one past the dropped entries is not")
    func droppedGap() throws {
        var history = RoomHistory(maximumCount: 2, maximumAge: .seconds(60))
        for offset in 1...4 { history.append(Self.entry(0, Int64(offset))) }  // keeps 3, 4; dropped through 2
        #expect(history.entries(after: RoomPosition(offsets: [0: 1])) == nil)
        #expect(history.entries(after: RoomPosition()) == nil)
        #expect(history.entries(after: RoomPosition(offsets: [0: 2]))?.map(\.offset) == [3, 4])
    }

    @Test("history older than its age is dropped, and counts as dropped")
    func ageTrim() {
        var history = RoomHistory(maximumCount: 10, maximumAge: .seconds(1))
        history.append(
            .init(event: Events.consumed(Events.started("c1"), offset: 1), position: "", storedAt: .now - .seconds(5)))
        history.append(.init(event: Events.consumed(Events.started("c2"), offset: 2), position: "", storedAt: .now))
        history.trim(now: .now)
        #expect(history.entries.map(\.offset) == [2])
        #expect(history.entries(after: RoomPosition()) == nil)
    }

    @Test("recent event ids drop duplicates within their window")
    func recentIDs() {
        var ids = RecentEventIDs(capacity: 2)
        let results = [ids.insert("a"), ids.insert("a"), ids.insert("b"), ids.insert("c"), ids.insert("a")]
        #expect(results == [true, false, true, true, true])  // "c" evicts the first "a"
    }
}

@Suite("Rooms and identities")
struct RoomNameTests {
    @Test(
        "room names parse",
        arguments: [("admin", RoomName.admin), ("client:acme", .client("acme")), ("client:Kcme", .client("Kcme"))])
    func parse(_ text: String, _ expected: RoomName) {
        #expect(RoomName(parsing: text) == expected)
        #expect(expected.description == text)
    }

    /// Client ids Ingest never produces, so no room may carry them.
    static let nonCanonicalClientIDs = [
        "", "../admin", "acme,globex", "*", "client:acme", "a:b", "a b", "a\u{0}b", "\u{FF41}\u{FF43}\u{FF4D}\u{FF45}",
        "\u{202E}emca", "\u{212A}cme", "caf\u{E9}", "cafe\u{301}", String(repeating: "x", count: 129),
    ]

    @Test(
        "other names are unknown rooms",
        arguments: ["Admin", "clients:acme", "client"] + nonCanonicalClientIDs.map { "client:" + $0 })
    func unknown(_ text: String) {
        #expect(RoomName(parsing: text) == nil)
    }

    @Test("room names compare byte for byte: KELVIN SIGN is not K, a decomposed é not the precomposed one")
    func byteEquality() {
        let kelvin = RoomName(parsing: "client:\u{212A}cme")
        #expect(kelvin == nil || kelvin != RoomName(parsing: "client:Kcme"))
        let decomposed = RoomName(parsing: "client:cafe\u{301}")
        #expect(decomposed == nil || decomposed != RoomName(parsing: "client:caf\u{E9}"))
        #expect(RoomName(parsing: "client:" + String(repeating: "x", count: 128)) != nil)
        #expect(RoomName(parsing: "client:a.b_c-D9") != nil)
    }

    @Test("an admin may join every room, a client only its own")
    func authorization() {
        #expect(DashboardIdentity.admin.mayJoin(.admin))
        #expect(DashboardIdentity.admin.mayJoin(.client("globex")))
        #expect(DashboardIdentity.client("acme").mayJoin(.client("acme")))
        #expect(!DashboardIdentity.client("acme").mayJoin(.client("globex")))
        #expect(!DashboardIdentity.client("acme").mayJoin(.admin))
        #expect(DashboardIdentity.client("acme").ownRoom == .client("acme"))
    }

    static func claims(role: String = "client", clientId: String?) -> DashboardClaims {
        DashboardClaims(exp: .init(value: Date().addingTimeInterval(600)), nbf: nil, role: role, clientId: clientId)
    }

    @Test("a client token's clientId must be a client id", arguments: nonCanonicalClientIDs)
    func tokenClaimsRefuse(_ clientID: String) {
        let error = #expect(throws: (any Error).self) { try Self.claims(clientId: clientID).identity() }
        // The reason, shown to the client as "the token's claims are not valid: …", states the rule.
        #expect(
            error.map(String.init(describing:))?.contains("1–128 characters of A-Z, a-z, 0-9") == true,
            "\(String(describing: error))")
    }

    @Test("a client token with a client id, or an admin token, has its identity")
    func tokenClaimsAccept() throws {
        #expect(try Self.claims(clientId: "Kcme").identity() == .client("Kcme"))
        #expect(
            try Self.claims(clientId: String(repeating: "x", count: 128)).identity().ownRoom.description == "client:"
                + String(repeating: "x", count: 128))
        #expect(try Self.claims(role: "admin", clientId: nil).identity() == .admin)
        #expect(throws: (any Error).self) { try Self.claims(clientId: nil).identity() }
    }
}
