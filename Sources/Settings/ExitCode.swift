/// Thrown by a command's `run()` to end the process with this status and no message.
public struct ExitCode: Error, Sendable {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
}
