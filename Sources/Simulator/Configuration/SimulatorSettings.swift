import Foundation
import Logging
import ServerSupport
import Settings

/// Every setting of `callbridge-sim`, declared once. The defaults are
/// ``SimulatorConfiguration``'s; the secrets are Ingest's (``WebhookSecretSettings``) but for
/// Telnyx, where the simulator holds the private key.
package enum SimulatorSettings {
    static let defaults = SimulatorConfiguration()

    static let url = Setting<TargetURL>(
        flag: "--url", defaultText: defaults.target.baseURL, valueName: "url", help: "Ingest's base URL, http only"
    ) { try TargetURL.parse($0) }
    static let publicBaseURL = Setting<String>(
        flag: "--public-base-url", environment: "PUBLIC_BASE_URL", defaultDescription: "the --url", valueName: "url",
        help: "The URL providers call, which Twilio signs"
    ) { text in
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://") else {
            throw InvalidSettingValue("must be an absolute http(s) URL, not '\(trimmed.prefix(100))'")
        }
        return trimmed
    }
    static let rate = Setting<Double>(
        flag: "--rate", default: defaults.rate, in: 0.01...100_000, valueName: "per-second",
        help: "Webhooks per second, all providers together"
    )
    static let providers = Setting<ProviderMix>(
        flag: "--providers", defaultDescription: "every provider with a secret, equally", valueName: "mix",
        help: "Provider mix as weights, e.g. twilio=2,vapi=1,retell=1,telnyx=1,generic=1"
    ) { try ProviderMix.parse($0) }
    static let clients = Setting<Int>(
        flag: "--clients", default: defaults.clients, in: 1...100_000, valueName: "n",
        help: "Distinct clients (clientIds) the calls belong to; a few get most calls"
    )
    static let connections = Setting<Int>(
        flag: "--connections", default: defaults.connections, in: 1...4096, valueName: "n",
        help: "Keep-alive connections to Ingest: the most webhooks in flight at once"
    )
    static let duration = Setting<Double>(
        flag: "--duration", in: 0.001...31_536_000, valueName: "seconds",
        help: "Start calls for this many seconds, then hang up those in progress and stop"
    )
    static let calls = Setting<Int>(
        flag: "--calls", in: 1...Int(Int32.max), valueName: "n",
        help: "Start this many calls, then stop once they have all ended"
    )
    static let medianCallSeconds = Setting<Double>(
        flag: "--median-call-seconds", default: defaults.medianCallSeconds, in: 1...36_000, valueName: "seconds",
        help: "Median length of answered calls in simulated seconds (log-normal)"
    )
    static let timeScale = Setting<Double>(
        flag: "--time-scale", default: defaults.timeScale, in: 0.001...1_000_000, valueName: "factor",
        help: "Simulated time runs this many times faster than the clock (10: a 150 s call lasts 15 s)"
    )
    static let retryRatio = Setting<Double>(
        flag: "--retry-ratio", default: defaults.retryRatio, in: 0...1, valueName: "0-1",
        help: "Share of call.started/call.ended deliveries sent twice, the same body, like a provider's retry"
    )
    static let forgedRatio = Setting<Double>(
        flag: "--forged-ratio", default: defaults.forgedRatio, in: 0...1, valueName: "0-1",
        help: "Share of calls that also get a forged delivery (wrong signature), which must be refused 401"
    )
    static let seed = Setting<UInt64>(
        flag: "--seed", valueName: "n",
        help: "Seed of the random choices: the same seed gives the same calls, outcomes and retries"
    )
    static let progress = Setting.switch(
        flag: "--progress", inversion: true, default: nil, defaultDescription: "when stderr is a terminal",
        help: "Print a progress line to stderr every second"
    )
    package static let json = Setting.switch(flag: "--json", help: "Print the summary as one JSON object")
    static let callsLog = Setting<String>(
        flag: "--calls-log", valueName: "path",
        help: "Write one JSON line per finished call (ids, expected events, event ids Ingest gave) to this file"
    )
    package static let logLevel = Setting<Logger.Level>.logLevel

    static let twilioAuthToken = WebhookSecretSettings.twilioAuthToken
    static let vapiSecret = WebhookSecretSettings.vapiSecret
    static let retellAPIKey = WebhookSecretSettings.retellAPIKey
    static let telnyxPrivateKey = Setting.secret(
        "TELNYX_PRIVATE_KEY", fileFlag: "--telnyx-private-key-file",
        what: "the Telnyx Ed25519 private key, PEM or base64"
    )
    static let genericWebhookSecret = WebhookSecretSettings.genericWebhookSecret
    /// When set (a local run exports Ingest's as well), the private key must match it.
    static let telnyxPublicKey = WebhookSecretSettings.telnyxPublicKey

    /// In the order `--help` lists them.
    package static let all: [any DeclaredSetting] = [
        url, publicBaseURL, rate, providers, clients, connections, duration, calls, medianCallSeconds, timeScale,
        retryRatio,
        forgedRatio, seed, progress, json, callsLog, logLevel,
        twilioAuthToken, vapiSecret, retellAPIKey, telnyxPrivateKey, genericWebhookSecret, telnyxPublicKey,
    ]
}

extension SimulatorConfiguration {
    /// The configuration the simulator's settings give.
    package init(reading reader: SettingsReader) throws(ConfigurationError) {
        typealias S = SimulatorSettings
        self.init()
        target = try reader.value(S.url)
        publicBaseURL = try reader.optionalValue(S.publicBaseURL)
        rate = try reader.value(S.rate)
        clients = try reader.value(S.clients)
        connections = try reader.value(S.connections)
        duration = try reader.optionalValue(S.duration)
        calls = try reader.optionalValue(S.calls)
        medianCallSeconds = try reader.value(S.medianCallSeconds)
        timeScale = try reader.value(S.timeScale)
        retryRatio = try reader.value(S.retryRatio)
        forgedRatio = try reader.value(S.forgedRatio)
        seed = try reader.optionalValue(S.seed)
        callsLogPath = try reader.optionalValue(S.callsLog)
        progress = try reader.optionalValue(S.progress) ?? (isatty(STDERR_FILENO) == 1)

        secrets = try ProviderSecrets(reading: reader)
        if let mix = try reader.optionalValue(S.providers) {
            for provider in mix.providers where !secrets.has(provider) {
                throw ConfigurationError(
                    "--providers includes \(provider.rawValue), but \(ProviderSecrets.setting(of: provider).declaration.names) is not set"
                )
            }
            providers = mix
        } else {
            let mix = ProviderMix.all.filter(secrets.has)
            guard !mix.providers.isEmpty else {
                let sources = ProviderName.allCases.map { ProviderSecrets.setting(of: $0).declaration.names }.joined(
                    separator: ", ")
                throw ConfigurationError("no provider secret is set: set at least one of \(sources)")
            }
            providers = mix
        }
    }
}
