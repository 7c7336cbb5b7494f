extension EmbeddedBroker {
    /// How to start an ``EmbeddedBroker``. Every property has a default that suits tests.
    public struct Configuration: Sendable {
        /// The address Tansu listens on and advertises to clients. Default `"127.0.0.1"`.
        public var host: String

        /// The port to listen on. `nil` (the default) or `0` picks a free port: a socket
        /// is bound to port 0 on ``host``, the kernel's choice is read and the socket
        /// closed; if Tansu then fails to bind it (another process took it in between),
        /// a new port is picked, up to ``portAttempts`` times. An explicit port is used as
        /// is: if it is taken, ``EmbeddedBroker/start(_:logger:)`` throws.
        public var port: Int?

        /// The Tansu executable. `nil` (the default) resolves it in this order:
        /// the `TANSU_BIN` environment variable; `.venv/bin/tansu` in the current
        /// directory or any of its parents; the same next to the running executable or
        /// any of its parents (finds the project's `.venv` from `.build/debug/...`);
        /// `tansu` on `PATH`. A value without a `/` is looked up on `PATH`.
        public var tansuPath: String?

        /// How long to wait for Tansu to answer on its port. Default 15 seconds.
        public var startupTimeout: Duration

        /// How long ``EmbeddedBroker/stop()`` waits after SIGTERM before sending SIGKILL.
        /// Default 1 second. Measured with Tansu 0.6.0: with no client connected it exits
        /// within milliseconds of SIGTERM; with clients connected it waits about 5 s for
        /// them to disconnect (and keeps accepting new connections meanwhile). Storage is
        /// in memory, so SIGKILL loses nothing that SIGTERM would have kept.
        public var stopGracePeriod: Duration

        /// How many ports to try when ``port`` is `nil` or `0`. Default 5.
        public var portAttempts: Int

        /// Creates a configuration; see each property for its default.
        public init(
            host: String = "127.0.0.1",
            port: Int? = nil,
            tansuPath: String? = nil,
            startupTimeout: Duration = .seconds(15),
            stopGracePeriod: Duration = .seconds(1),
            portAttempts: Int = 5
        ) {
            self.host = host
            self.port = port
            self.tansuPath = tansuPath
            self.startupTimeout = startupTimeout
            self.stopGracePeriod = stopGracePeriod
            self.portAttempts = portAttempts
        }
    }
}
