/// A configuration value that cannot be used; the message says which setting and why, and
/// never holds a secret's value. An executable refuses to start with it (exit 64, or 2 for
/// `callbridge-sim`).
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
