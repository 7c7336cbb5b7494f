extension EmbeddedBroker {
    /// How a Tansu process ended.
    public struct Termination: Sendable, Hashable, CustomStringConvertible {
        /// The exit status, or the signal number when ``signaled`` is true.
        public let status: Int32
        /// Whether the process was killed by a signal.
        public let signaled: Bool

        public init(status: Int32, signaled: Bool) {
            self.status = status
            self.signaled = signaled
        }

        public var description: String {
            signaled ? "killed by signal \(status)" : "exit status \(status)"
        }
    }
}
