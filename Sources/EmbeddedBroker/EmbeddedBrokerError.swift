/// Why an ``EmbeddedBroker`` could not be started.
///
/// `description` is written for a person reading a failed test or a script's output:
/// it says what went wrong, what to do about it and, when Tansu produced output, ends
/// with the last lines Tansu wrote (its full output stays in ``logPath``).
public struct EmbeddedBrokerError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, for code that needs to tell them apart.
    public enum Kind: Sendable, Hashable {
        /// No Tansu binary was found (or the configured path is not an executable file).
        case binaryNotFound
        /// The process could not be launched at all (for example `/bin/sh` is missing).
        case launchFailed
        /// Tansu exited before it answered on its port (port already taken, bad arguments, crash).
        case exitedEarly
        /// Tansu kept running but did not answer on its port within the startup timeout.
        case startupTimedOut
    }

    /// The kind of failure.
    public let kind: Kind
    /// A one-sentence explanation, without the output tail.
    public let message: String
    /// Tansu's exit status when it exited early (a signal number when ``signaled`` is true).
    public let exitStatus: Int32?
    /// Whether ``exitStatus`` is the number of the signal that killed Tansu.
    public let signaled: Bool
    /// The last lines of Tansu's output (ANSI colours removed), if any.
    public let outputTail: String?
    /// The file holding Tansu's complete output, if one was created.
    public let logPath: String?
    /// Whether Tansu failed because its port was taken (start retries another port).
    let isPortConflict: Bool

    init(
        _ kind: Kind,
        _ message: String,
        exitStatus: Int32? = nil,
        signaled: Bool = false,
        outputTail: String? = nil,
        logPath: String? = nil,
        isPortConflict: Bool = false
    ) {
        self.kind = kind
        self.message = message
        self.exitStatus = exitStatus
        self.signaled = signaled
        self.outputTail = outputTail
        self.logPath = logPath
        self.isPortConflict = isPortConflict
    }

    public var description: String {
        var text = "EmbeddedBroker: \(message)"
        if let logPath {
            text += "\nTansu log: \(logPath)"
        }
        if let tail = outputTail?.trimmingTrailingWhitespace(), !tail.isEmpty {
            text += "\nLast lines of Tansu's output:\n"
            text += tail.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "  | \($0)" }
                .joined(separator: "\n")
        }
        return text
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace {
            scalars.removeLast()
        }
        return String(scalars)
    }
}
