/// Everything a simulation run needs, resolved from flags and the environment.
/// Defaults are those of `callbridge-sim` without flags.
package struct SimulatorConfiguration: Sendable {
    /// Ingest's base URL, where webhooks are posted (`--url`).
    var target: TargetURL = TargetURL(scheme: "http", host: "127.0.0.1", port: 8080, basePath: "")
    /// The URL providers call, which Twilio signs (`--public-base-url`, env PUBLIC_BASE_URL);
    /// nil: the target URL. Must equal Ingest's PUBLIC_BASE_URL.
    var publicBaseURL: String?
    /// Webhooks per second, all providers together (`--rate`).
    var rate: Double = 5
    /// Which providers the calls go through, and how often.
    var providers: ProviderMix = .all
    /// How many distinct clientIds (tenants) calls belong to (`--clients`).
    var clients: Int = 20
    /// Keep-alive HTTP connections to Ingest, the most webhooks in flight at once (`--connections`).
    var connections: Int = 8
    /// Stop starting calls after this many seconds (`--duration`); nil: no time limit.
    var duration: Double?
    /// Stop starting calls after this many (`--calls`); nil: no limit.
    var calls: Int?
    /// Median call length in simulated seconds (`--median-call-seconds`): log-normal around it.
    var medianCallSeconds: Double = 150
    /// Simulated time runs this many times faster than the clock (`--time-scale`): a
    /// 150 s call is active for 15 s at 10. Webhook timestamps and durations are the real
    /// (scaled) ones, so what Ingest publishes is consistent.
    var timeScale: Double = 1
    /// Share of lifecycle deliveries delivered twice, the same body, like a provider whose
    /// first attempt it believes lost (`--retry-ratio`).
    var retryRatio: Double = 0.05
    /// Share of calls that also get a forged copy of one delivery (wrong signature or
    /// secret), which Ingest must refuse with 401 (`--forged-ratio`; 0 by default).
    var forgedRatio: Double = 0
    /// Seed of the random choices (`--seed`): the same seed gives the same calls, outcomes,
    /// retries and forgeries; nil: a fresh one each run.
    var seed: UInt64?
    /// Providers whose secrets were found, for the help's and the summary's sake.
    var secrets: ProviderSecrets = ProviderSecrets()
    /// Print a progress line every second (`--progress`, default: when stderr is a terminal).
    var progress: Bool = false
    /// JSON Lines file getting one line per finished call (`--calls-log`).
    var callsLogPath: String?
    /// Ringing before a call is answered or given up, simulated seconds.
    var ringSeconds: ClosedRange<Double> = 2...25
    /// The most attempts of one delivery that Ingest answers 503 or that fail on the network.
    var maxAttempts: Int = 4
    /// Consecutive network failures, with nothing answered in between, after which the run
    /// gives up (Ingest is not there).
    var unreachableAfterFailures: Int = 20

    /// The URL Twilio signs for `pathAndQuery`.
    func publicURL(_ pathAndQuery: String) -> String {
        (publicBaseURL ?? target.baseURL) + pathAndQuery
    }
}
