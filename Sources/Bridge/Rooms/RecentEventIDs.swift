import DequeModule

/// The last N event ids seen, to drop duplicates (a provider retry that Ingest published
/// twice, a producer retry after a broker restart). Duplicates arrive close together, so
/// a bounded window is enough.
struct RecentEventIDs: Sendable {
    private var order: Deque<String> = []
    private var members: Set<String> = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Records `id`; false if it was already there.
    mutating func insert(_ id: String) -> Bool {
        guard members.insert(id).inserted else { return false }
        order.append(id)
        if order.count > capacity {
            members.remove(order.removeFirst())
        }
        return true
    }
}
