import Settings
import WireFormats

/// How often each provider's calls are simulated, as relative weights (`twilio=2,vapi=1`).
struct ProviderMix: Sendable, CustomStringConvertible {
    /// Weights of the providers in the mix, all positive, in provider order.
    let weights: [(provider: ProviderName, weight: Double)]

    init(_ weights: [ProviderName: Double]) {
        self.weights = ProviderName.allCases.compactMap { provider in
            guard let weight = weights[provider], weight > 0 else { return nil }
            return (provider: provider, weight: weight)
        }
    }

    /// Every provider with the same weight.
    static let all = ProviderMix(Dictionary(uniqueKeysWithValues: ProviderName.allCases.map { ($0, 1.0) }))

    var providers: [ProviderName] { weights.map { $0.provider } }

    var description: String {
        weights.map { "\($0.provider.rawValue)=\(Self.format($0.weight))" }.joined(separator: ",")
    }

    /// Parses `twilio=2,vapi=1,retell,telnyx=0.5` (a name alone weighs 1; `all` or `all=W` is
    /// every provider not named on its own). A weight of 0 leaves the provider out.
    static func parse(_ text: String) throws(ConfigurationError) -> ProviderMix {
        var weights: [ProviderName: Double] = [:]
        var named: Set<ProviderName> = []
        let items = text.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmedWhitespace() }
        guard !items.isEmpty else { throw ConfigurationError("--providers is empty") }
        for item in items where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmedWhitespace().lowercased()
            var weight = 1.0
            if parts.count == 2 {
                guard let parsed = Double(parts[1].trimmedWhitespace()), parsed.isFinite, parsed >= 0 else {
                    throw ConfigurationError("--providers '\(item)': the weight must be a number ≥ 0")
                }
                weight = parsed
            }
            if name == "all" {
                // Names given on their own keep their weight, wherever they are in the list.
                for provider in ProviderName.allCases where !named.contains(provider) { weights[provider] = weight }
                continue
            }
            guard let provider = ProviderName(rawValue: name) else {
                let known = ProviderName.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError("--providers unknown provider '\(name)' (use \(known) or all)")
            }
            guard named.insert(provider).inserted else {
                throw ConfigurationError("--providers \(provider.rawValue) is given twice")
            }
            weights[provider] = weight
        }
        let mix = ProviderMix(weights)
        guard !mix.weights.isEmpty else { throw ConfigurationError("--providers gives no provider a weight above 0") }
        return mix
    }

    /// The mix without the providers `keep` refuses.
    func filter(_ keep: (ProviderName) -> Bool) -> ProviderMix {
        ProviderMix(
            Dictionary(uniqueKeysWithValues: weights.filter { keep($0.provider) }.map { ($0.provider, $0.weight) }))
    }

    private static func format(_ weight: Double) -> String {
        weight == weight.rounded() ? String(Int(weight)) : String(weight)
    }
}
