import Benchmark
import Bridge
import CallEvents
import HotPathBenchmarkSupport
import NIOCore
import NIOEmbedded
import Settings

// What the Bridge does with each event it consumes: build its frame once per room and
// protocol (plain JSON, Socket.IO), and apply it to its rooms, handing it to the event loops
// of the rooms' subscribers.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .hotPath

    // Six partitions, as Ingest creates the topic.
    let position = RoomPosition(offsets: [0: 18_211, 1: 17_980, 2: 18_034, 3: 18_305, 4: 17_876, 5: 18_122]).encoded

    Benchmark("plain-event-frame") { benchmark, record in
        for _ in benchmark.scaledIterations {
            blackHole(PlainProtocol.eventFrame(room: .admin, position: position, cloudEvent: record))
        }
    } setup: {
        SampleEvents.ended(number: 1).encoded()
    }

    Benchmark("socketio-event-frame") { benchmark, event in
        for _ in benchmark.scaledIterations {
            blackHole(SocketIOProtocol.eventFrame(event, position: position))
        }
    } setup: {
        SampleEvents.ended(number: 1)
    }

    for subscribers in [8, 1000] {
        Benchmark("room-apply-\(subscribers)-subscribers") { benchmark, rooms in
            for _ in benchmark.scaledIterations {
                rooms.applyNext()
            }
        } setup: {
            try SubscribedRooms(subscribers: subscribers)
        }
    }
}

/// The room hub as the Bridge configures it by default, with `subscribers` joined to the
/// admin room and one client's room, half in each protocol, over two event loops (one per
/// core), and the events it applies in turn.
final class SubscribedRooms {
    /// Events cycle; the hub forgets an id before it comes round again, so none is a duplicate.
    static let distinctEvents = 2_000

    let hub: RoomHub
    let loops: [EmbeddedEventLoop]
    let batches: [[ConsumedEvent]]
    var next = 0

    init(subscribers: Int) throws {
        // Only the token key has no default; the rooms are not affected by it.
        let environment = ["BRIDGE_JWT_SECRET": String(repeating: "k", count: 32)]
        let settings = try SettingsReader(settings: BridgeSettings.all, arguments: [], environment: environment)
        let configuration = try BridgeConfiguration(reading: settings)
        let metrics = BridgeMetrics()
        hub = RoomHub(limits: configuration.rooms, recentEventIDs: Self.distinctEvents / 2, metrics: metrics)
        loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let fanOuts = loops.map { LoopFanOut(eventLoop: $0, metrics: metrics) }
        let rooms: [RoomName] = [.admin, .client(ClientID("acme")!)]
        let protocols: [SubscriberProtocol] = [.plain, .socketIO]
        for number in 0..<subscribers {
            let (room, kind, fanOut) = (rooms[number % 2], protocols[number / 4 % 2], fanOuts[number / 2 % 2])
            _ = hub.join(room, since: nil, protocol: kind, fanOut: fanOut)
        }
        batches = (0..<Self.distinctEvents).map { number in
            let event = SampleEvents.ended(number: number, clientId: "acme")
            let (partition, offset) = (Int32(number % 6), Int64(number / 6))
            return [ConsumedEvent(partition: partition, offset: offset, event: event, cloudEvent: event.encoded())]
        }
    }

    /// Applies the next event, and lets the loops take what was handed to them.
    func applyNext() {
        hub.publish(batches[next])
        next = (next + 1) % batches.count
        for loop in loops {
            loop.run()
        }
    }
}
