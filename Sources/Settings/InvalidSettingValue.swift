/// Why a text is not a value of a setting, as the end of a sentence that starts with the
/// setting's names: "must be between 0 and 65535, not 70000".
public struct InvalidSettingValue: Error, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}
