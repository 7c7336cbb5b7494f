import Foundation

/// Decides each new call: provider (by the mix), tenant, direction, numbers, whether it is
/// answered, how long it lasts and how it ends, and which stages its provider reports.
struct CallPlanner: Sendable {
    /// Share of calls that are inbound (the rest are dialled out, e.g. by voice agents).
    static let inboundShare = 0.6
    /// Share of outbound calls nobody answers (busy, no answer, …); inbound calls are
    /// answered by the platform.
    static let unansweredOutboundShare = 0.3
    /// Share of Vapi calls that authenticate with a bearer credential rather than `X-Vapi-Secret`.
    static let vapiBearerShare = 0.5
    /// Share of Vapi calls whose end comes as an `end-of-call-report`.
    static let vapiEndOfCallReportShare = 0.8

    let mix: ProviderMix
    let clients: ClientDirectory
    let durations: CallDurationDistribution
    /// Simulated seconds of ringing before the answer or the give-up.
    let ringSeconds: ClosedRange<Double>
    let webhooks: [ProviderName: any ProviderWebhooks]

    init(
        mix: ProviderMix, clients: ClientDirectory, durations: CallDurationDistribution,
        ringSeconds: ClosedRange<Double>
    ) {
        self.mix = mix
        self.clients = clients
        self.durations = durations
        self.ringSeconds = ringSeconds
        let all: [any ProviderWebhooks] = [
            TwilioWebhooks(), VapiWebhooks(), RetellWebhooks(), TelnyxWebhooks(), GenericWebhooks(),
        ]
        webhooks = Dictionary(uniqueKeysWithValues: all.map { ($0.provider, $0) })
    }

    /// - Parameters:
    ///   - random: draws what the call is and does.
    ///   - identifiers: draws its ids (kept apart, so a seed repeats calls, not their ids).
    func plan(
        number: Int, at date: Date, using random: inout SeededRandom, identifiers: inout SeededRandom
    ) -> SimulatedCall {
        let provider = random.weighted(mix.weights.map { ($0.provider, $0.weight) })
        let source = webhooks[provider]!
        let client = clients.pick(using: &random)
        let direction: SimulatedCall.Direction = random.chance(Self.inboundShare) ? .inbound : .outbound
        let answered = direction == .inbound || !random.chance(Self.unansweredOutboundShare)
        let endReason = random.weighted(answered ? source.answeredEndReasons : source.unansweredEndReasons)

        let ring = ringSeconds.lowerBound + random.unit() * (ringSeconds.upperBound - ringSeconds.lowerBound)
        let talk = answered ? durations.draw(using: &random) : 0
        var optional: Set<CallStage> = []
        for (stage, chance) in source.optionalStages where random.chance(chance) {
            optional.insert(stage)
        }
        // Offsets in simulated seconds from the start of ringing.
        var plan: [(stage: CallStage, offset: Double)] = []
        if optional.contains(.ringing) { plan.append((.ringing, 0)) }
        if answered {
            plan.append((.started, ring))
            if optional.contains(.progress) { plan.append((.progress, ring + talk * (0.2 + 0.6 * random.unit()))) }
        }
        plan.append((.ended, ring + talk))
        if optional.contains(.afterEnd) { plan.append((.afterEnd, ring + talk + 2 + 18 * random.unit())) }
        // The run sees a call from its first webhook on: offsets count from there.
        let first = plan[0].offset
        plan = plan.map { (stage: $0.stage, offset: $0.offset - first) }

        return SimulatedCall(
            number: number,
            provider: provider,
            ids: source.identifiers(using: &identifiers),
            clientId: client.id,
            direction: direction,
            customerNumber: FakePhoneNumber.draw(using: &random),
            businessNumber: client.numbers[Int(random.next() % UInt64(client.numbers.count))],
            answered: answered,
            endReason: endReason,
            plan: plan,
            vapiBearer: random.chance(Self.vapiBearerShare),
            vapiEndOfCallReport: random.chance(Self.vapiEndOfCallReportShare),
            createdAt: date
        )
    }
}
