import CallEvents
import Foundation

/// The calls a room shows: those started and not yet ended, and the most recent ended
/// ones, newest first. Entries are the events' `data`, merged per call.
struct RoomCalls: Sendable {
    /// An active call and when it started (for expiry).
    struct ActiveCall: Sendable {
        var details: CallDetails
        var startedAt: Date
    }

    /// An ended call and when it ended (for the order of recent calls).
    private struct EndedCall: Sendable {
        var details: CallDetails
        var endedAt: Date
    }

    private(set) var active: [String: ActiveCall] = [:]
    /// Newest end first. Events of one partition arrive in order, but a replay reads the
    /// partitions one after another, so the order of arrival is not the order of the ends.
    private var ended: [EndedCall] = []
    let recentLimit: Int
    /// Active calls kept; up to a tenth more may be held between evictions.
    let activeLimit: Int

    init(recentLimit: Int = 20, activeLimit: Int = 10_000) {
        self.recentLimit = recentLimit
        self.activeLimit = activeLimit
    }

    mutating func apply(_ event: CallEvent) {
        switch event.type {
        case .started: start(event)
        case .ended: end(event)
        }
    }

    private mutating func start(_ event: CallEvent) {
        let callID = event.data.callId
        if let index = ended.firstIndex(where: { $0.details.callId == callID }) {
            // Started after it ended (events of one call are ordered, so this is a late
            // duplicate from a provider retry): it only fills gaps of the ended entry.
            ended[index].details = ended[index].details.filledIn(from: event.data)
            return
        }
        let startedAt = event.data.startedAt ?? event.time
        if var call = active[callID] {
            call.details = call.details.filledIn(from: event.data)
            active[callID] = call
        } else {
            active[callID] = ActiveCall(details: event.data, startedAt: startedAt)
            // Past the limit (plus a tenth, so the sort is paid once per many starts),
            // drop the oldest calls: probably ones whose end was lost.
            if active.count > activeLimit + max(1, activeLimit / 10) {
                let oldest = active.sorted { $0.value.startedAt < $1.value.startedAt }.prefix(
                    active.count - activeLimit)
                for (callID, _) in oldest { active[callID] = nil }
            }
        }
    }

    private mutating func end(_ event: CallEvent) {
        let callID = event.data.callId
        if let index = ended.firstIndex(where: { $0.details.callId == callID }) {
            // A second call.ended (e.g. Vapi's status update, then its end-of-call report)
            // fills in what the first lacked.
            ended[index].details = ended[index].details.filledIn(from: event.data)
            return
        }
        var details = event.data
        if let started = active.removeValue(forKey: callID) {
            details = details.filledIn(from: started.details)
        }
        let endedAt = details.endedAt ?? event.time
        // After the entries that ended at the same time or later: ties keep arrival order.
        let index = ended.firstIndex { $0.endedAt < endedAt } ?? ended.endIndex
        guard index < recentLimit else { return }  // older than all of a full list
        ended.insert(EndedCall(details: details, endedAt: endedAt), at: index)
        if ended.count > recentLimit {
            ended.removeLast(ended.count - recentLimit)
        }
    }

    /// The most recent ended calls, newest end first.
    var recent: [CallDetails] {
        ended.map(\.details)
    }

    /// How many ended calls ``recent`` holds, without building it.
    var recentCount: Int {
        ended.count
    }

    /// Drops active calls that started more than `maximumLength` before `now`: their end
    /// was lost (or is older than the replay window), and a dashboard should not show them forever.
    mutating func expire(now: Date, maximumLength: TimeInterval) {
        let cutoff = now.addingTimeInterval(-maximumLength)
        active = active.filter { $0.value.startedAt >= cutoff }
    }

    /// Active calls, most recently started first.
    var activeNewestFirst: [CallDetails] {
        active.values.sorted { $0.startedAt > $1.startedAt }.map(\.details)
    }
}

extension CallDetails {
    /// These details, with every field they lack taken from `other`.
    func filledIn(from other: CallDetails) -> CallDetails {
        var merged = self
        merged.direction = direction ?? other.direction
        merged.from = from ?? other.from
        merged.to = to ?? other.to
        merged.callerHash = callerHash ?? other.callerHash
        merged.startedAt = startedAt ?? other.startedAt
        merged.endedAt = endedAt ?? other.endedAt
        merged.durationSeconds = durationSeconds ?? other.durationSeconds
        merged.endReason = endReason ?? other.endReason
        return merged
    }
}
