import Configuration

/// The values a command line gives, by setting key: `--flag VALUE`, `--flag=VALUE`, switches
/// (`--json`, `--no-progress`) and secret files (`--NAME-file PATH`, read here). Anything
/// else is refused, as the message of ``ConfigurationError`` says.
enum CommandLineValues {
    static func parse(
        _ arguments: [String], declarations: [SettingDeclaration]
    ) throws(ConfigurationError) -> [AbsoluteConfigKey: ConfigValue] {
        var byFlag: [String: (declaration: SettingDeclaration, switchValue: Bool?)] = [:]
        for declaration in declarations {
            switch declaration.kind {
            case .switch(let inversion):
                byFlag[declaration.flag] = (declaration, true)
                if inversion { byFlag["--no-" + declaration.flag.dropFirst(2)] = (declaration, false) }
            case .value, .secretFile:
                byFlag[declaration.flag] = (declaration, nil)
            }
        }

        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ConfigurationError("Unexpected argument '\(argument.prefix(100))'")
            }
            let name = String(argument.prefix { $0 != "=" })
            let inline = argument.count > name.count ? String(argument.dropFirst(name.count + 1)) : nil
            guard let (declaration, switchValue) = byFlag[name] else {
                throw ConfigurationError("Unknown option '\(name.prefix(100))'")
            }
            let key = AbsoluteConfigKey(declaration.key)
            if let switchValue {
                guard inline == nil else { throw ConfigurationError("\(name) takes no value") }
                values[key] = ConfigValue(.string(switchValue.settingText), isSecret: false)
                continue
            }
            let text: String
            if let inline {
                text = inline
            } else {
                guard index < arguments.endIndex, !arguments[index].hasPrefix("--") else {
                    throw ConfigurationError("Missing value for '\(name) <\(HelpText.valueName(of: declaration))>'")
                }
                text = arguments[index]
                index += 1
            }
            if declaration.isSecret {
                values[key] = ConfigValue(
                    .string(try SecretFile.read(text, for: declaration, namedBy: name)), isSecret: true)
            } else {
                values[key] = ConfigValue(.string(text), isSecret: false)
            }
        }
        return values
    }
}
