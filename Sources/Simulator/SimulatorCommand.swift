import ArgumentParser
import Foundation
import Logging
import ServerSupport

/// `callbridge-sim`: realistic, correctly signed webhook traffic for Ingest, from all five
/// providers, with a live progress line and a closing summary.
@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callbridge-sim",
        abstract: "Sends realistic, correctly signed call webhooks (Twilio, Vapi, Retell, Telnyx, generic) to Ingest.",
        discussion: """
            Calls start at random, ring, are answered or not, last a log-normal time (median \
            --median-call-seconds, divided by --time-scale) and end with realistic reasons. Each \
            provider's calls send its real payloads and signatures, some statuses Ingest must \
            ignore (answered 200), and some deliveries twice (same body: the same event id).

            Secrets come from the environment or from a file (--NAME-file), as Ingest takes \
            them: TWILIO_AUTH_TOKEN, VAPI_SECRET, RETELL_API_KEY, GENERIC_WEBHOOK_SECRET, and for \
            Telnyx TELNYX_PRIVATE_KEY (Ed25519: PEM, or base64 of the 32-byte seed), the private \
            half of Ingest's TELNYX_PUBLIC_KEY. Without --providers, every provider with a secret \
            is simulated. PUBLIC_BASE_URL is read as Ingest reads it (Twilio signs the URL it \
            calls); by default it is --url.

            Without --duration or --calls it runs until SIGINT/SIGTERM. Then (and at --duration) it \
            starts no more calls, hangs up those in progress, and prints the summary; a second signal \
            exits at once. Exit status: 0 when every answer was the expected one, 1 otherwise (any \
            unexpected 4xx/5xx, 200 or network failure), 2 for bad flags or settings.
            """
    )

    @Option(help: ArgumentHelp("Ingest's base URL (http only).", valueName: "url"))
    var url: String = "http://127.0.0.1:8080"
    @Option(help: ArgumentHelp("The URL providers call, which Twilio signs (env PUBLIC_BASE_URL, default --url).", valueName: "url"))
    var publicBaseURL: String?
    @Option(help: ArgumentHelp("Webhooks per second, all providers together.", valueName: "per-second"))
    var rate: Double = 5
    @Option(help: ArgumentHelp("Provider mix as weights, e.g. twilio=2,vapi=1,retell=1,telnyx=1,generic=1 (default: every provider with a secret, equally).", valueName: "mix"))
    var providers: String?
    @Option(help: ArgumentHelp("Distinct clients (clientIds) the calls belong to; a few get most calls.", valueName: "n"))
    var clients: Int = 20
    @Option(help: ArgumentHelp("Keep-alive connections to Ingest: the most webhooks in flight at once.", valueName: "n"))
    var connections: Int = 8
    @Option(help: ArgumentHelp("Start calls for this many seconds, then hang up those in progress and stop.", valueName: "seconds"))
    var duration: Double?
    @Option(help: ArgumentHelp("Start this many calls, then stop once they have all ended.", valueName: "n"))
    var calls: Int?
    @Option(help: ArgumentHelp("Median length of answered calls in simulated seconds (log-normal).", valueName: "seconds"))
    var medianCallSeconds: Double = 150
    @Option(help: ArgumentHelp("Simulated time runs this many times faster than the clock (10: a 150 s call lasts 15 s).", valueName: "factor"))
    var timeScale: Double = 1
    @Option(help: ArgumentHelp("Share of call.started/call.ended deliveries sent twice, the same body, like a provider's retry.", valueName: "0-1"))
    var retryRatio: Double = 0.05
    @Option(help: ArgumentHelp("Share of calls that also get a forged delivery (wrong signature), which must be refused 401.", valueName: "0-1"))
    var forgedRatio: Double = 0
    @Option(help: ArgumentHelp("Seed of the random choices: the same seed gives the same calls, outcomes and retries.", valueName: "n"))
    var seed: UInt64?
    @Flag(inversion: .prefixedNo, help: "Print a progress line to stderr every second (default: when stderr is a terminal).")
    var progress: Bool?
    @Flag(help: "Print the summary as one JSON object.")
    var json = false
    @Option(help: ArgumentHelp("Write one JSON line per finished call (ids, expected events, event ids Ingest gave) to this file.", valueName: "path"))
    var callsLog: String?
    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL, default info).", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("File holding the Twilio auth token (instead of env TWILIO_AUTH_TOKEN).", valueName: "path"))
    var twilioAuthTokenFile: String?
    @Option(help: ArgumentHelp("File holding the Vapi secret (instead of env VAPI_SECRET).", valueName: "path"))
    var vapiSecretFile: String?
    @Option(help: ArgumentHelp("File holding the Retell API key (instead of env RETELL_API_KEY).", valueName: "path"))
    var retellApiKeyFile: String?
    @Option(help: ArgumentHelp("File holding the Telnyx Ed25519 private key, PEM or base64 (instead of env TELNYX_PRIVATE_KEY).", valueName: "path"))
    var telnyxPrivateKeyFile: String?
    @Option(help: ArgumentHelp("File holding the generic webhook secret (instead of env GENERIC_WEBHOOK_SECRET).", valueName: "path"))
    var genericWebhookSecretFile: String?

    /// ArgumentParser exits 64 on a usage error; callbridge-sim exits 2, like most command-line
    /// tools, for bad flags and for settings that cannot work (missing secrets, bad key).
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    mutating func run() async throws {
        let (configuration, level) = try resolve(Setting())
        CommandSupport.bootstrapLogging(level: level)
        let logger = Logger(label: "callbridge.sim")
        let summary: RunSummary
        do {
            summary = try await TrafficDriver(configuration: configuration, logger: logger).run()
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        print(json ? summary.json : summary.text)
        if !summary.succeeded {
            throw ExitCode(1)
        }
    }

    /// The configuration from the flags and the environment; anything unusable is a
    /// `ValidationError` (exit 2) naming the flag or variable.
    func resolve(_ setting: Setting) throws -> (SimulatorConfiguration, Logger.Level) {
        do {
            var configuration = SimulatorConfiguration()
            configuration.target = try TargetURL.parse(url)
            configuration.publicBaseURL = setting.optionalString(publicBaseURL, env: "PUBLIC_BASE_URL").map { base in
                var trimmed = base
                while trimmed.hasSuffix("/") { trimmed.removeLast() }
                return trimmed
            }
            if let base = configuration.publicBaseURL, !(base.hasPrefix("http://") || base.hasPrefix("https://")) {
                throw ConfigurationError("--public-base-url (or PUBLIC_BASE_URL) '\(base)' is not an absolute http(s) URL")
            }
            configuration.rate = try Self.check(rate, "--rate", in: 0.01...100_000)
            configuration.clients = try Self.check(clients, "--clients", in: 1...100_000)
            configuration.connections = try Self.check(connections, "--connections", in: 1...4096)
            configuration.duration = try duration.map { try Self.check($0, "--duration", in: 0.001...31_536_000) }
            configuration.calls = try calls.map { try Self.check($0, "--calls", in: 1...Int(Int32.max)) }
            configuration.medianCallSeconds = try Self.check(medianCallSeconds, "--median-call-seconds", in: 1...36_000)
            configuration.timeScale = try Self.check(timeScale, "--time-scale", in: 0.001...1_000_000)
            configuration.retryRatio = try Self.check(retryRatio, "--retry-ratio", in: 0...1)
            configuration.forgedRatio = try Self.check(forgedRatio, "--forged-ratio", in: 0...1)
            configuration.seed = seed
            configuration.callsLogPath = callsLog
            configuration.progress = progress ?? (isatty(STDERR_FILENO) == 1)

            let secrets = try ProviderSecrets.resolve(setting, files: ProviderSecrets.Files(
                twilioAuthToken: twilioAuthTokenFile,
                vapiSecret: vapiSecretFile,
                retellAPIKey: retellApiKeyFile,
                telnyxPrivateKey: telnyxPrivateKeyFile,
                genericWebhookSecret: genericWebhookSecretFile
            ))
            configuration.secrets = secrets
            if let providers {
                let mix = try ProviderMix.parse(providers)
                for provider in mix.providers where !secrets.has(provider) {
                    throw ConfigurationError("--providers includes \(provider.rawValue), but \(ProviderSecrets.source(of: provider)) is not set")
                }
                configuration.providers = mix
            } else {
                let mix = ProviderMix.all.filter(secrets.has)
                guard !mix.providers.isEmpty else {
                    let sources = ProviderName.allCases.map(ProviderSecrets.source(of:)).joined(separator: ", ")
                    throw ConfigurationError("no provider secret is set: set at least one of \(sources)")
                }
                configuration.providers = mix
            }
            return (configuration, try setting.logLevel(logLevel))
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    private static func check<T: Comparable>(_ value: T, _ flag: String, in range: ClosedRange<T>) throws(ConfigurationError) -> T {
        guard range.contains(value) else {
            throw ConfigurationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }
}
