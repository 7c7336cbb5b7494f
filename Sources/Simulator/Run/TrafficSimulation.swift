import Foundation
import HeapModule
import Logging

/// The state of a run: the calls in progress, the deliveries waiting for their time, and
/// what Ingest answered. The driver asks it for the next delivery (``next(now:date:)``)
/// and reports each answer (``record(_:outcome:latency:now:)``); being an actor, it sees
/// one at a time, so every random draw and count is race-free (and a `--seed` repeatable).
actor TrafficSimulation {
    /// What the driver should do next.
    enum Step: Sendable {
        case send(DeliveryJob)
        /// Nothing to send yet: ask again at this instant (nil: soon, e.g. when a webhook in flight is answered).
        case wait(until: ContinuousClock.Instant?)
        /// Every call is over, or the run was aborted.
        case finished
    }

    private let configuration: SimulatorConfiguration
    private let planner: CallPlanner
    private let logger: Logger
    private let callsLog: CallsLog?
    /// Draws what calls there are and what happens to them (provider, client, length, end,
    /// retries, forgeries): the same for the same `--seed`, however Ingest's answers interleave.
    private var planRandom: SeededRandom
    /// Draws call ids, the details of bodies (delivery ids, …) and retry delays. Never seeded
    /// by `--seed`: two runs with the same seed must not reuse call ids on the same topic.
    private var runRandom: SeededRandom
    private var calls: [Int: CallRecord] = [:]
    private var queue = Heap<ScheduledDelivery>()
    private var sequence = 0
    private var inFlight = 0
    private var consecutiveFailures = 0

    private(set) var statistics = RunStatistics()
    /// No new calls; calls in progress are hung up now (their remaining ignored stages skipped).
    private(set) var draining = false
    /// Why the run stopped before its end, if it did (Ingest unreachable).
    private(set) var abortReason: String?

    init(configuration: SimulatorConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let seed = configuration.seed ?? UInt64.random(in: .min ... .max)
        var random = SeededRandom(seed: seed)
        let clients = ClientDirectory(count: configuration.clients, random: &random)
        planRandom = random
        runRandom = SeededRandom(seed: UInt64.random(in: .min ... .max))
        planner = CallPlanner(
            mix: configuration.providers,
            clients: clients,
            durations: CallDurationDistribution(medianSeconds: configuration.medianCallSeconds),
            ringSeconds: configuration.ringSeconds
        )
        callsLog = try configuration.callsLogPath.map { try CallsLog(path: $0) }
    }

    /// Stops starting calls and hangs up the ones in progress (`--duration` reached, or SIGINT/SIGTERM).
    func drain() {
        guard !draining else { return }
        draining = true
        logger.info("no new calls; hanging up the calls in progress", metadata: ["active": "\(calls.count)"])
    }

    /// The next delivery due at `now`, a new call when nothing is due, or how long to wait.
    func next(now: ContinuousClock.Instant, date: Date) -> Step {
        if abortReason != nil { return .finished }
        if inFlight >= configuration.connections { return .wait(until: nil) }
        if let top = queue.min, draining || top.due <= now {
            _ = queue.popMin()
            guard let job = job(for: top, date: date) else { return .wait(until: now) }
            inFlight += 1
            return .send(job)
        }
        if !draining, configuration.calls.map({ statistics.callsStarted < $0 }) ?? true {
            inFlight += 1
            return .send(startCall(now: now, date: date))
        }
        if queue.isEmpty, inFlight == 0 {
            return .finished
        }
        return .wait(until: draining ? nil : queue.min?.due)
    }

    /// Takes in the outcome of `job`: counts it, checks it against what was expected, and
    /// schedules what follows (a retry, a resend, the call's next stage).
    func record(
        _ job: DeliveryJob, outcome: Result<WebhookAnswer, any Error>, latency: Duration, now: ContinuousClock.Instant
    ) {
        inFlight -= 1
        let delivery = job.delivery
        let provider = job.provider
        statistics.sent += 1
        statistics.byProvider[provider, default: .init()].sent += 1
        switch delivery.purpose {
        case .original: break
        case .retry: statistics.retried += 1
        case .resend: statistics.resent += 1
        case .forged: statistics.forged += 1
        }
        guard var record = calls[delivery.callNumber] else { return }
        record.outstanding -= 1
        defer {
            calls[delivery.callNumber] = record
            finishIfOver(delivery.callNumber)
        }
        let what =
            "\(provider.rawValue) \(delivery.stage.rawValue) (\(delivery.purpose.rawValue)) of call \(job.callId)"

        let answer: WebhookAnswer
        switch outcome {
        case .failure(let error):
            statistics.transportErrors += 1
            consecutiveFailures += 1
            statistics.recordUnexpected("\(what): no answer: \(error)", provider: provider)
            if consecutiveFailures >= configuration.unreachableAfterFailures {
                abortReason =
                    "\(consecutiveFailures) webhooks in a row got no answer from \(configuration.target) (last: \(error))"
                return
            }
            resendOrAbandon(delivery, record: &record, after: .seconds(1), now: now)
            return
        case .success(let received):
            answer = received
        }
        consecutiveFailures = 0
        statistics.recordLatency(latency)
        statistics.statuses[answer.status, default: 0] += 1
        if answer.status == 202 {
            statistics.accepted += 1
            statistics.byProvider[provider, default: .init()].accepted += 1
        } else if answer.isIgnored {
            statistics.ignored += 1
            statistics.byProvider[provider, default: .init()].ignored += 1
        }
        let answered = "\(answer.status) \(answer.body.prefix(300))"

        if delivery.purpose == .forged {
            if answer.status == 401 {
                statistics.refusedAsIntended += 1
            } else {
                statistics.recordUnexpected(
                    "\(what): answered \(answered); a forged delivery must be refused with 401", provider: provider)
            }
            return
        }
        if answer.status == 503 {
            statistics.recordUnexpected("\(what): answered \(answered)", provider: provider)
            resendOrAbandon(delivery, record: &record, after: .seconds(max(1, answer.retryAfterSeconds ?? 1)), now: now)
            return
        }
        if let event = delivery.stage.lifecycleEvent {
            if answer.status == 202, let eventId = answer.eventId {
                let first = record.eventIds[event]
                if delivery.purpose == .retry {
                    if eventId == first {
                        statistics.retriedSameEventId += 1
                    } else {
                        statistics.recordUnexpected(
                            "\(what): event id \(eventId), but the first delivery got \(first ?? "none"): a retry must keep the id",
                            provider: provider)
                    }
                } else if let first, first != eventId {
                    statistics.recordUnexpected(
                        "\(what): event id \(eventId), but an earlier attempt got \(first)", provider: provider)
                } else if first == nil {
                    record.eventIds[event] = eventId
                    statistics.events[event, default: 0] += 1
                }
            } else {
                statistics.recordUnexpected(
                    "\(what): answered \(answered); expected 202 with an eventId", provider: provider)
            }
        } else if !answer.isIgnored {
            statistics.recordUnexpected(
                "\(what): answered \(answered); expected 200 {\"status\":\"ignored\"}", provider: provider)
        }
        // Whatever the answer, the call goes on: a refused event is counted, and the run's
        // exit status says so, but the rest of the call still shows what Ingest does with it.
        continueCall(after: delivery, record: &record, now: now)
    }

    // MARK: - Calls

    private func startCall(now: ContinuousClock.Instant, date: Date) -> DeliveryJob {
        statistics.callsStarted += 1
        let number = statistics.callsStarted
        let call = planner.plan(number: number, at: date, using: &planRandom, identifiers: &runRandom)
        var record = CallRecord(call: call, origin: now)
        for (stage, _) in call.plan where stage.lifecycleEvent != nil && planRandom.chance(configuration.retryRatio) {
            record.retriedStages.insert(stage)
        }
        if planRandom.chance(configuration.forgedRatio) {
            record.forgedStage = call.plan[Int(planRandom.next() % UInt64(call.plan.count))].stage
        }
        record.nextStage = 1
        record.outstanding = 1
        calls[number] = record
        statistics.activeCalls = calls.count
        statistics.maxActiveCalls = max(statistics.maxActiveCalls, calls.count)
        let delivery = ScheduledDelivery(
            due: now, sequence: nextSequence(), callNumber: number, stage: call.plan[0].stage, purpose: .original)
        // The record was just stored, so the job exists.
        return job(for: delivery, date: date)!
    }

    /// The job for `delivery`, building the stage's body the first time (and stamping the
    /// call's answer or end time); nil when its call is gone.
    private func job(for delivery: ScheduledDelivery, date: Date) -> DeliveryJob? {
        guard var record = calls[delivery.callNumber] else { return nil }
        var content: WebhookContent
        if let existing = record.contents[delivery.stage] {
            content = existing
        } else {
            switch delivery.stage {
            case .started: record.call.answeredAt = date
            case .ended: record.call.endedAt = date
            case .ringing, .progress, .afterEnd: break
            }
            content = planner.webhooks[record.call.provider]!.content(
                for: record.call, stage: delivery.stage, at: date, using: &runRandom)
            record.contents[delivery.stage] = content
        }
        calls[delivery.callNumber] = record
        let provider = record.call.provider
        if delivery.purpose == .retry {
            content = planner.webhooks[provider]!.retry(of: content, attempt: 2)
        }
        // The configuration only holds providers whose secret is present.
        let signer = configuration.secrets.signer(for: provider, vapiBearer: record.call.vapiBearer)!
        return DeliveryJob(
            delivery: delivery,
            provider: provider,
            callId: record.call.callId,
            content: content,
            signer: delivery.purpose == .forged ? signer.forged() : signer,
            publicURL: configuration.publicURL(content.pathAndQuery)
        )
    }

    /// After a delivery of the call's chain was answered: maybe a retry of it, maybe a
    /// forged copy, then the next stage at its time.
    private func continueCall(after delivery: ScheduledDelivery, record: inout CallRecord, now: ContinuousClock.Instant)
    {
        if !draining, delivery.purpose == .original, record.retriedStages.contains(delivery.stage) {
            // Providers retry within seconds when they did not hear the answer.
            let delay = Duration.milliseconds(300 + Int64(runRandom.next() % 1200))
            schedule(delivery.callNumber, stage: delivery.stage, purpose: .retry, due: now + delay, record: &record)
            return
        }
        if !draining, record.forgedStage == delivery.stage {
            record.forgedStage = nil
            schedule(
                delivery.callNumber, stage: delivery.stage, purpose: .forged, due: now + .milliseconds(50),
                record: &record)
        }
        while !record.planDone {
            let (stage, offset) = record.call.plan[record.nextStage]
            record.nextStage += 1
            // Hung up: what a provider reports only while a call is active, or well after it, is skipped.
            if draining, stage == .progress || stage == .afterEnd { continue }
            let planned = record.origin + .seconds(offset / configuration.timeScale)
            schedule(delivery.callNumber, stage: stage, purpose: .original, due: max(now, planned), record: &record)
            return
        }
    }

    private func resendOrAbandon(
        _ delivery: ScheduledDelivery, record: inout CallRecord, after delay: Duration, now: ContinuousClock.Instant
    ) {
        guard delivery.purpose != .forged else { return }
        if delivery.attempt < configuration.maxAttempts {
            var resend = delivery
            resend.purpose = .resend
            resend.attempt += 1
            resend.due = now + delay
            resend.sequence = nextSequence()
            record.outstanding += 1
            queue.insert(resend)
        } else if !record.abandoned {
            record.abandoned = true
            record.nextStage = record.call.plan.count
            statistics.callsAbandoned += 1
        }
    }

    private func schedule(
        _ callNumber: Int, stage: CallStage, purpose: DeliveryPurpose, due: ContinuousClock.Instant,
        record: inout CallRecord
    ) {
        record.outstanding += 1
        queue.insert(
            ScheduledDelivery(
                due: due, sequence: nextSequence(), callNumber: callNumber, stage: stage, purpose: purpose))
    }

    private func finishIfOver(_ callNumber: Int) {
        guard let record = calls[callNumber], record.planDone, record.outstanding == 0 else { return }
        calls[callNumber] = nil
        statistics.activeCalls = calls.count
        if !record.abandoned {
            statistics.callsFinished += 1
            if record.call.answered { statistics.callsAnswered += 1 } else { statistics.callsUnanswered += 1 }
        }
        callsLog?.write(record)
    }

    private func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    /// Writes what is left of the calls log (calls cut short by an abort) and closes it.
    func close() {
        for number in calls.keys.sorted() {
            if var record = calls[number] {
                record.abandoned = true
                statistics.callsAbandoned += 1
                callsLog?.write(record)
            }
        }
        calls.removeAll()
        statistics.activeCalls = 0
        callsLog?.close()
    }
}
