import DequeModule

/// The recent events of a room, with the room's position after each, kept so that a
/// client resuming from a position gets exactly what it missed (each protocol encodes the
/// replay its own way). Bounded by count and age; what was dropped is remembered per
/// partition, so a resume that would need it is known to be impossible.
struct RoomHistory: Sendable {
    struct Entry: Sendable {
        var event: ConsumedEvent
        /// The room's position after this event (``RoomPosition/encoded``).
        var position: String
        var storedAt: ContinuousClock.Instant

        var partition: Int32 { event.partition }
        var offset: Int64 { event.offset }
    }

    private(set) var entries: Deque<Entry> = []
    /// Per partition, the highest offset dropped from the history.
    private(set) var droppedThrough: [Int32: Int64] = [:]
    let maximumCount: Int
    let maximumAge: Duration

    init(maximumCount: Int, maximumAge: Duration) {
        self.maximumCount = max(0, maximumCount)
        self.maximumAge = maximumAge
    }

    mutating func append(_ entry: Entry) {
        entries.append(entry)
        while entries.count > maximumCount { dropFirst() }
    }

    mutating func trim(now: ContinuousClock.Instant) {
        while let first = entries.first, now - first.storedAt > maximumAge { dropFirst() }
    }

    /// Forgets everything: the offsets it holds belong to an earlier incarnation of the topic.
    mutating func removeAll() {
        entries.removeAll()
        droppedThrough.removeAll()
    }

    /// The entries after `position`, in the order they were stored; nil when some of them
    /// were already dropped.
    func entries(after position: RoomPosition) -> [Entry]? {
        for (partition, dropped) in droppedThrough where position.precedes(partition: partition, offset: dropped) {
            return nil
        }
        return entries.filter { position.precedes(partition: $0.partition, offset: $0.offset) }
    }

    private mutating func dropFirst() {
        let entry = entries.removeFirst()
        droppedThrough[entry.partition] = max(droppedThrough[entry.partition, default: -1], entry.offset)
    }
}
