import Crypto
import Foundation
import Logging
import Testing
import WireFormats

@testable import Simulator

@Suite("Traffic shape")
struct TrafficShapeTests {
    @Test("Call durations: log-normal around the median, within the bounds")
    func durations() {
        var random = SeededRandom(seed: 42)
        let distribution = CallDurationDistribution(medianSeconds: 150)
        let draws = (0..<20_000).map { _ in distribution.draw(using: &random) }.sorted()
        #expect(draws.allSatisfy { distribution.bounds.contains($0) })
        let median = draws[draws.count / 2]
        #expect(abs(median - 150) < 10, "median \(median)")
        // sigma 0.9: the 90th percentile is e^(1.2816 × 0.9) ≈ 3.17 × the median.
        let p90 = draws[draws.count * 9 / 10]
        #expect(p90 > 150 * 2.8 && p90 < 150 * 3.6, "p90 \(p90)")
        let p10 = draws[draws.count / 10]
        #expect(p10 > 150 / 3.6 && p10 < 150 / 2.8, "p10 \(p10)")
    }

    @Test("A seed repeats the traffic; another seed does not")
    func seeds() {
        var a = SeededRandom(seed: 7)
        var b = SeededRandom(seed: 7)
        var c = SeededRandom(seed: 8)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }

    @Test("A seed repeats the run's calls but not their ids; another seed gives other calls")
    func seededSimulation() async throws {
        func firstCalls(seed: UInt64) async throws -> (calls: [String], ids: Set<String>) {
            var configuration = SimulatorConfiguration()
            configuration.seed = seed
            configuration.connections = 1000
            configuration.secrets = ProviderSecrets(
                twilioAuthToken: "t", vapiSecret: "v", retellAPIKey: "r",
                telnyxPrivateKey: Curve25519.Signing.PrivateKey(), genericWebhookSecret: "g"
            )
            let simulation = try TrafficSimulation(configuration: configuration, logger: Logger(label: "test"))
            var calls: [String] = []
            var ids: Set<String> = []
            for _ in 0..<50 {
                guard case .send(let job) = await simulation.next(now: .now, date: Date()) else {
                    Issue.record("no new call")
                    break
                }
                calls.append("\(job.provider) \(job.delivery.stage) \(job.content.pathAndQuery)")
                ids.insert(job.callId)
            }
            return (calls, ids)
        }
        let first = try await firstCalls(seed: 9)
        #expect(first.ids.count == 50)
        let again = try await firstCalls(seed: 9)
        #expect(again.calls == first.calls)
        #expect(again.ids.isDisjoint(with: first.ids), "a seed must not repeat call ids")
        #expect(try await firstCalls(seed: 10).calls != first.calls)
    }

    @Test("Calls: every provider's plan starts at 0, ends once, starts only when answered")
    func plans() {
        var random = SeededRandom(seed: 1)
        var ids = SeededRandom(seed: 2)
        let clients = ClientDirectory(count: 5, random: &random)
        let planner = CallPlanner(
            mix: .all, clients: clients, durations: CallDurationDistribution(medianSeconds: 150), ringSeconds: 2...25)
        var providers: Set<ProviderName> = []
        var unanswered = 0
        for number in 1...2000 {
            let call = planner.plan(number: number, at: Date(), using: &random, identifiers: &ids)
            providers.insert(call.provider)
            #expect(call.plan.first?.offset == 0)
            #expect(call.plan.filter { $0.stage == .ended }.count == 1)
            #expect(call.plan.filter { $0.stage == .started }.count == (call.answered ? 1 : 0))
            #expect(zip(call.plan, call.plan.dropFirst()).allSatisfy { $0.offset <= $1.offset })
            #expect(call.customerNumber.hasPrefix("+1555") && call.customerNumber.count == 12)
            if !call.answered { unanswered += 1 }
        }
        #expect(providers == Set(ProviderName.allCases))
        // 40 % outbound × 30 % unanswered = 12 % of calls.
        #expect(unanswered > 160 && unanswered < 320, "\(unanswered) unanswered of 2000")
    }

    @Test("Formats: RFC 2822, ISO 8601 with milliseconds, form encoding, JSON escaping")
    func formats() {
        let date = Date(timeIntervalSince1970: 1_769_530_380.25)
        #expect(WebhookTime.rfc2822(date) == "Tue, 27 Jan 2026 16:13:00 +0000")
        #expect(WebhookTime.iso8601(date) == "2026-01-27T16:13:00.250Z")
        #expect(FormURLEncoding.encode([("From", "+1 555"), ("a&b", "x=y~")]) == "From=%2B1+555&a%26b=x%3Dy~")
        let json: JSONText = [
            "text": .string("a\"b\\c\n\u{1}é"), "n": 1, "x": .number(1.5), "ok": true, "none": .null, "list": [1, 2],
        ]
        // Escaped as the services escape their own JSON (CallEvents): only what RFC 8259 requires.
        #expect(json.rendered == #"{"text":"a\"b\\c\u000a\u0001é","n":1,"x":1.5,"ok":true,"none":null,"list":[1,2]}"#)
    }
}
