import Foundation
import Logging
import Settings
import Simulator

/// `callbridge-sim`: realistic, correctly signed webhook traffic for Ingest, from all five
/// providers, with a live progress line and a closing summary.
@main
struct SimulatorCommand: SettingsCommand {
    static let discussion = """
        Calls start at random, ring, are answered or not, last a log-normal time (median \
        --median-call-seconds, divided by --time-scale) and end with realistic reasons. Each \
        provider's calls send its real payloads and signatures, some statuses Ingest must \
        ignore (answered 200), and some deliveries twice (same body: the same event id).

        Secrets come from the environment or from a file (--NAME-file), as Ingest takes \
        them: TWILIO_AUTH_TOKEN, VAPI_SECRET, RETELL_API_KEY, GENERIC_WEBHOOK_SECRET, and for \
        Telnyx TELNYX_PRIVATE_KEY (Ed25519: PEM, or base64 of the 32-byte seed), the private \
        half of Ingest's TELNYX_PUBLIC_KEY. Without --providers, every provider with a secret \
        is simulated. PUBLIC_BASE_URL is read as Ingest reads it (Twilio signs the URL it \
        calls); by default it is --url. A secret's file may also be named by NAME_FILE; a file \
        named by a flag wins over NAME, NAME over NAME_FILE.

        Without --duration or --calls it runs until SIGINT/SIGTERM. Then (and at --duration) it \
        starts no more calls, hangs up those in progress, and prints the summary; a second signal \
        exits at once. Exit status: 0 when every answer was the expected one, 1 otherwise (any \
        unexpected 4xx/5xx, 200 or network failure), 2 for bad flags or settings.
        """
    static let commandName = "callbridge-sim"
    static let abstract =
        "Sends realistic, correctly signed call webhooks (Twilio, Vapi, Retell, Telnyx, generic) to Ingest."
    static let settings = SimulatorSettings.all
    /// Like most command-line tools, 2 for bad flags and for settings that cannot work
    /// (missing secrets, a bad key).
    static let usageErrorExitCode: Int32 = 2

    let configuration: SimulatorConfiguration
    let logLevel: Logger.Level
    let json: Bool

    init(reading settings: SettingsReader) throws {
        configuration = try SimulatorConfiguration(reading: settings)
        logLevel = try settings.value(SimulatorSettings.logLevel)
        json = try settings.value(SimulatorSettings.json)
    }

    func run() async throws {
        StandardErrorLogging.bootstrap(level: logLevel)
        let logger = Logger(label: "callbridge.sim")
        let summary = try await TrafficDriver(configuration: configuration, logger: logger).run()
        print(json ? summary.json : summary.text)
        if !summary.succeeded {
            throw ExitCode(1)
        }
    }
}
