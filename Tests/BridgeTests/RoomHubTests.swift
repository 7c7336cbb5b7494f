import CallEvents
import Foundation
import KafkaClient
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import Bridge

@Suite("Room hub")
struct RoomHubTests {
    let hub = RoomHub(limits: RoomLimits(), metrics: BridgeMetrics())
    let fanOut = LoopFanOut(eventLoop: EmbeddedEventLoop(), metrics: BridgeMetrics())

    func texts(_ join: RoomHub.Join) throws -> [[String: Any]] {
        try join.frames.flatMap { try decodeFrames($0) }.map(json)
    }

    @Test("an event goes to admin and to its client's room only")
    func routing() {
        hub.publish([Events.consumed(Events.started("a1", client: "acme"), offset: 0)])
        hub.publish([Events.consumed(Events.started("g1", client: "globex"), offset: 1)])
        #expect(hub.calls(in: .admin)?.active.keys.sorted() == ["a1", "g1"])
        #expect(hub.calls(in: .client("acme"))?.active.keys.sorted() == ["a1"])
        #expect(hub.calls(in: .client("globex"))?.active.keys.sorted() == ["g1"])
    }

    @Test("an event whose clientId is not a client id reaches no client room")
    func nonCanonicalClient() {
        hub.publish([Events.consumed(Events.started("k1", client: "\u{212A}cme"), offset: 0)])
        #expect(hub.calls(in: .client("Kcme")) == nil)
    }

    @Test("a duplicate event id changes nothing")
    func duplicates() {
        hub.publish([Events.consumed(Events.ended("c1", id: "same"), offset: 0)])
        hub.publish([Events.consumed(Events.ended("c2", id: "same"), offset: 1)])
        #expect(hub.calls(in: .admin)?.recent.map(\.callId) == ["c1"])
        #expect(hub.consumedOffsets == [0: 1])
    }

    @Test("a join without since gets a snapshot with the room's position")
    func snapshotJoin() throws {
        hub.publish([Events.consumed(Events.started("c1"), partition: 2, offset: 7)])
        let join = hub.join(.client("acme"), since: nil, protocol: .plain, fanOut: fanOut)
        let messages = try texts(join)
        #expect(messages.count == 1)
        #expect(messages[0]["type"] as? String == "snapshot")
        #expect(messages[0]["position"] as? String == RoomPosition(offsets: [2: 7]).encoded)
        #expect(join.joinedAfter == 1)
    }

    @Test("a join with since replays exactly what came after it, then resumed")
    func resume() throws {
        for offset in 0..<5 {
            hub.publish([
                Events.consumed(Events.started("c\(offset)"), partition: Int32(offset % 2), offset: Int64(offset))
            ])
        }
        let since = RoomPosition(offsets: [0: 2, 1: 1])  // seen offsets 0, 1, 2
        let messages = try texts(hub.join(.admin, since: since, protocol: .plain, fanOut: fanOut))
        #expect(messages.map { $0["type"] as? String } == ["event", "event", "resumed"])
        #expect(messages.prefix(2).map { ($0["event"] as? [String: Any])?["subject"] as? String } == ["c3", "c4"])
        #expect(messages[2]["replayed"] as? Int == 2)
        #expect(messages[2]["position"] as? String == RoomPosition(offsets: [0: 4, 1: 3]).encoded)
    }

    @Test("a since past what was consumed, or past the held history, gets a snapshot with recovered:false")
    func unrecoverable() throws {
        let small = RoomHub(limits: RoomLimits(historyEvents: 2), metrics: BridgeMetrics())
        for offset in 0..<5 { small.publish([Events.consumed(Events.started("c\(offset)"), offset: Int64(offset))]) }
        let tooOld = try texts(
            small.join(.admin, since: RoomPosition(offsets: [0: 0]), protocol: .plain, fanOut: fanOut))
        #expect(tooOld.first?["type"] as? String == "snapshot")
        #expect(tooOld.first?["recovered"] as? Bool == false)
        let ahead = try texts(
            small.join(.admin, since: RoomPosition(offsets: [0: 99]), protocol: .plain, fanOut: fanOut))
        #expect(ahead.first?["recovered"] as? Bool == false)
        let held = try texts(small.join(.admin, since: RoomPosition(offsets: [0: 2]), protocol: .plain, fanOut: fanOut))
        #expect(held.map { $0["type"] as? String } == ["event", "event", "resumed"])
    }

    @Test(
        "after offsets start over, positions of the old incarnation get recovered:false, new ones resume, and low offsets apply again"
    )
    func startOver() throws {
        hub.adopt(incarnation: 7)
        for offset in 0..<4 { hub.publish([Events.consumed(Events.started("old\(offset)"), offset: Int64(offset))]) }
        let before = RoomPosition(incarnation: 7, offsets: [0: 3])
        #expect(
            try texts(hub.join(.admin, since: before, protocol: .plain, fanOut: fanOut)).last?["type"] as? String
                == "resumed")

        // The topic was re-created: its offsets begin at 0 again.
        hub.startOver([0], incarnation: 9)
        #expect(hub.consumedOffsets[0] == nil)
        hub.publish([Events.consumed(Events.started("new0"), offset: 0)])
        hub.publish([Events.consumed(Events.started("new1"), offset: 1)])
        #expect(hub.calls(in: .admin)?.active.keys.sorted() == ["new0", "new1", "old0", "old1", "old2", "old3"])

        let stale = try texts(hub.join(.admin, since: before, protocol: .plain, fanOut: fanOut))
        #expect(stale.first?["type"] as? String == "snapshot")
        #expect(stale.first?["recovered"] as? Bool == false, "a position of the old topic cannot be resumed")
        #expect(stale.first?["position"] as? String == RoomPosition(incarnation: 9, offsets: [0: 1]).encoded)

        let fresh = try texts(
            hub.join(.admin, since: RoomPosition(incarnation: 9, offsets: [0: 0]), protocol: .plain, fanOut: fanOut))
        #expect(fresh.map { $0["type"] as? String } == ["event", "resumed"])
        #expect(hub.startOverCount == 1)
    }

    @Test("the incarnation comes from the topic's id, or from the partitions that started over")
    func incarnation() {
        let id = KafkaTopicID(mostSignificantBits: 0x1234_5678_9ABC_DEF0, leastSignificantBits: 1)
        let assigned = KafkaPartitionChange(topic: "t", topicID: id, partitions: [0, 1], reason: .assigned)
        #expect(CallEventPump.incarnation(after: assigned, current: 0) == 0x1234_5678)
        let noID = KafkaPartitionChange(topic: "t", topicID: nil, partitions: [0, 1], reason: .assigned)
        #expect(CallEventPump.incarnation(after: noID, current: 5) == 5)
        let range = KafkaPartitionChange(topic: "t", topicID: id, partitions: [1], reason: .offsetOutOfRange)
        let next = CallEventPump.incarnation(after: range, current: 0x1234_5678)
        #expect(next != 0x1234_5678)
        #expect(
            next == CallEventPump.incarnation(after: range, current: 0x1234_5678), "every instance derives the same")
        let recreatedWithoutID = KafkaPartitionChange(
            topic: "t", topicID: nil, partitions: [0, 1], reason: .topicRecreated)
        #expect(CallEventPump.incarnation(after: recreatedWithoutID, current: 5) != 5)
    }

    @Test("Socket.IO joins get a calls:snapshot")
    func socketIOJoin() throws {
        hub.publish([Events.consumed(Events.ended("c1"), offset: 0)])
        let join = hub.join(.admin, since: nil, protocol: .socketIO, fanOut: fanOut)
        let text = try String(buffer: #require(try decodeFrames(join.frames[0]).first).data)
        #expect(text.hasPrefix(#"42["calls:snapshot",{"room":"admin","activeCalls":[],"recentCalls":[{"callId":"c1""#))
    }

    @Test("a Socket.IO join with a held offset gets exactly the missed events, each with its offset; else a snapshot")
    func socketIORecovery() throws {
        for offset in 0..<4 { hub.publish([Events.consumed(Events.started("c\(offset)"), offset: Int64(offset))]) }
        let recovered = hub.join(.admin, since: RoomPosition(offsets: [0: 1]), protocol: .socketIO, fanOut: fanOut)
        #expect(recovered.recovered == true)
        let packets = try recovered.frames.flatMap { try decodeFrames($0) }.map { String(buffer: $0.data) }
        #expect(packets.count == 2)
        let arrays = try packets.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.dropFirst(2).utf8)) as? [Any])
        }
        #expect(arrays.map { ($0[1] as? [String: Any])?["callId"] as? String } == ["c2", "c3"])
        #expect(
            arrays.map { $0[2] as? String } == [
                RoomPosition(offsets: [0: 2]).encoded, RoomPosition(offsets: [0: 3]).encoded,
            ])

        let small = RoomHub(limits: RoomLimits(historyEvents: 1), metrics: BridgeMetrics())
        for offset in 0..<4 { small.publish([Events.consumed(Events.started("c\(offset)"), offset: Int64(offset))]) }
        let gone = small.join(.admin, since: RoomPosition(offsets: [0: 1]), protocol: .socketIO, fanOut: fanOut)
        #expect(gone.recovered == false)
        let snapshot = try String(buffer: #require(try decodeFrames(gone.frames[0]).first).data)
        #expect(
            snapshot.hasPrefix(#"42["calls:snapshot""#)
                && snapshot.hasSuffix(",\"\(RoomPosition(offsets: [0: 3]).encoded)\"]"))
    }

    @Test("an instance is behind a position until it is assigned the topic and has consumed up to it")
    func behind() {
        let position = RoomPosition(incarnation: 7, offsets: [0: 5])
        #expect(hub.isBehind(position), "not assigned yet: the incarnation is not known")
        hub.adopt(incarnation: 7)
        #expect(hub.isBehind(position))
        hub.publish([Events.consumed(Events.started("c5"), offset: 5)])
        #expect(!hub.isBehind(position))
        #expect(!hub.isBehind(RoomPosition(incarnation: 8, offsets: [0: 9])), "another incarnation is not waited for")
    }

    @Test("rooms with no calls and no subscribers are forgotten on leave")
    func idleRoomsGo() {
        _ = hub.join(.client("nobody"), since: nil, protocol: .plain, fanOut: fanOut)
        #expect(hub.calls(in: .client("nobody")) != nil)
        hub.leave(.client("nobody"), protocol: .plain, fanOut: fanOut)
        #expect(hub.calls(in: .client("nobody")) == nil)
    }
}
