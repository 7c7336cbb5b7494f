/// A syntax error in the JSON text, or a member name repeated in one object (see
/// ``JSONValue``): what was wrong and at which byte offset.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public var description: String { "\(message) at byte \(offset)" }
}
