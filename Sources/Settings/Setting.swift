/// One setting of an executable, declared once: its flag, its environment variable, its
/// default, its help and how its text is checked. `--help`, the reader's lookups and the
/// message refusing a bad value all come from this declaration.
///
/// ```swift
/// static let port = Setting<Int>(flag: "--port", environment: "PORT", default: 8080, in: 0...65535,
///                                help: "Port to listen on")
/// ```
public struct Setting<Value: Sendable>: DeclaredSetting {
    public let declaration: SettingDeclaration
    public let defaultValue: Value?
    /// The value a text stands for; throws ``InvalidSettingValue`` (the reader adds the
    /// setting's names) or a ``ConfigurationError`` that names the setting itself.
    let parse: @Sendable (String) throws -> Value

    /// A setting with its own parser, for values that are more than a number or a word.
    /// - Parameters:
    ///   - defaultText: the default, as text `parse` accepts; nil: no default.
    ///   - defaultDescription: the default as `--help` shows it, when not `defaultText`.
    public init(
        flag: String,
        environment: String? = nil,
        defaultText: String? = nil,
        defaultDescription: String? = nil,
        valueName: String? = nil,
        help: String,
        parse: @escaping @Sendable (String) throws -> Value
    ) {
        self.init(
            declaration: SettingDeclaration(
                flag: flag, environment: environment, kind: .value(valueName: valueName ?? String(flag.dropFirst(2))),
                help: help, defaultText: defaultText, defaultDescription: defaultDescription
            ),
            defaultValue: nil,
            parse: parse
        )
    }

    init(declaration: SettingDeclaration, defaultValue: Value?, parse: @escaping @Sendable (String) throws -> Value) {
        self.declaration = declaration
        self.defaultValue = defaultValue
        self.parse = parse
    }
}

extension Setting where Value: SettingValue {
    /// A setting whose text is a `Value` (a number, a word, a log level).
    public init(
        flag: String,
        environment: String? = nil,
        default defaultValue: Value? = nil,
        defaultDescription: String? = nil,
        valueName: String? = nil,
        help: String
    ) {
        self.init(
            flag: flag, environment: environment, default: defaultValue, defaultDescription: defaultDescription,
            valueName: valueName, help: help, check: { _ in nil }
        )
    }

    init(
        flag: String,
        environment: String?,
        default defaultValue: Value?,
        defaultDescription: String?,
        valueName: String?,
        help: String,
        check: @escaping @Sendable (Value) -> String?
    ) {
        self.init(
            declaration: SettingDeclaration(
                flag: flag, environment: environment, kind: .value(valueName: valueName ?? String(flag.dropFirst(2))),
                help: help, defaultText: defaultValue?.settingText, defaultDescription: defaultDescription
            ),
            defaultValue: defaultValue,
            parse: { text in
                guard let value = Value.parse(settingText: text) else {
                    throw InvalidSettingValue("must be \(Value.expectedText), not '\(text.prefix(100))'")
                }
                if let problem = check(value) { throw InvalidSettingValue(problem) }
                return value
            }
        )
    }
}

extension Setting where Value: SettingValue & Comparable {
    /// A number that must lie within `range`; the message refusing another names the flag,
    /// the variable and the range: `--port (or PORT) must be between 0 and 65535, not 70000`.
    public init(
        flag: String,
        environment: String? = nil,
        default defaultValue: Value? = nil,
        defaultDescription: String? = nil,
        in range: ClosedRange<Value>,
        valueName: String? = nil,
        help: String
    ) {
        self.init(
            flag: flag, environment: environment, default: defaultValue, defaultDescription: defaultDescription,
            valueName: valueName, help: help,
            check: { value in
                range.contains(value)
                    ? nil : "must be between \(range.lowerBound) and \(range.upperBound), not \(value)"
            }
        )
    }
}

extension Setting where Value == Bool {
    /// A flag without a value: `--json` sets true; with `inversion`, `--no-json` sets false.
    public static func `switch`(
        flag: String, inversion: Bool = false, default defaultValue: Bool? = false, defaultDescription: String? = nil,
        help: String
    ) -> Setting {
        Setting(
            declaration: SettingDeclaration(
                flag: flag, environment: nil, kind: .switch(inversion: inversion), help: help,
                defaultText: defaultValue?.settingText, defaultDescription: defaultDescription
            ),
            defaultValue: defaultValue,
            parse: { text in
                guard let value = Bool.parse(settingText: text) else {
                    throw InvalidSettingValue("must be \(Bool.expectedText)")
                }
                return value
            }
        )
    }
}

extension Setting where Value == String {
    /// A secret, taken from the file `fileFlag` names, else from `environment`, else from the
    /// file that `environment`_FILE names; never from a flag's value. Trailing newlines of a
    /// file are dropped. The reader marks it secret, and no message or help shows it.
    /// - Parameter what: what the secret is, for `--help`: "the Twilio auth token".
    public static func secret(_ environment: String, fileFlag: String, what: String) -> Setting {
        Setting(
            declaration: SettingDeclaration(
                flag: fileFlag, environment: environment, fileEnvironment: environment + "_FILE", kind: .secretFile,
                help: "File holding \(what)", defaultText: nil, defaultDescription: nil
            ),
            defaultValue: nil,
            parse: { $0 }
        )
    }
}

extension Setting where Value == Duration {
    /// A duration given as a whole number of `unit`s (the flag says which: `-ms`, `-seconds`).
    public init(
        flag: String,
        environment: String? = nil,
        default defaultValue: Duration? = nil,
        unit: DurationUnit,
        in range: ClosedRange<Int>,
        help: String
    ) {
        let number = Setting<Int>(
            flag: flag, environment: environment, default: defaultValue.map(unit.count(in:)), in: range, help: help
        )
        self.init(
            declaration: number.declaration, defaultValue: defaultValue, parse: { unit.duration(try number.parse($0)) })
    }
}
