import Logging

/// A type a setting's text converts to and from: the reader gets text (from the command line,
/// the environment, a file or the default) and the setting parses it.
public protocol SettingValue: Sendable {
    /// The value `text` stands for; nil when it stands for none. (A static function, not an
    /// initializer, so that `Int.init` and the like get no overload from this module.)
    static func parse(settingText text: String) -> Self?
    /// The text that stands for this value (defaults are given to the reader this way).
    var settingText: String { get }
    /// What a text must be, for messages: "a whole number".
    static var expectedText: String { get }
}

extension SettingValue where Self: LosslessStringConvertible {
    public static func parse(settingText text: String) -> Self? { Self(text) }
    public var settingText: String { description }
}

extension String: SettingValue {
    public static var expectedText: String { "text" }
}

extension Int: SettingValue {
    public static var expectedText: String { "a whole number" }
}

extension UInt64: SettingValue {
    public static var expectedText: String { "a whole number, 0 or more" }
}

extension Double: SettingValue {
    public static func parse(settingText text: String) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
    public static var expectedText: String { "a number" }
}

extension Bool: SettingValue {
    /// `true`/`false`, and `1`/`0` and `yes`/`no` as environment variables often are.
    public static func parse(settingText text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }
    public static var expectedText: String { "true or false" }
}

extension SettingValue where Self: RawRepresentable<String> & CaseIterable {
    public static func parse(settingText text: String) -> Self? { Self(rawValue: text.lowercased()) }
    public var settingText: String { rawValue }
    public static var expectedText: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Logger.Level: SettingValue {
    public static func parse(settingText text: String) -> Self? { Self(rawValue: text.lowercased()) }
    public var settingText: String { rawValue }
    public static var expectedText: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}
