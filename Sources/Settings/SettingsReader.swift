import Configuration
import Foundation

/// An executable's one reader of its settings: a swift-configuration `ConfigReader` over the
/// command line, then the environment, then secret files (`NAME_FILE`), then the defaults.
/// Empty environment variables count as unset. Secrets are marked secret in every provider.
public struct SettingsReader: Sendable {
    public let config: ConfigReader

    /// - Parameters:
    ///   - arguments: the command line without the executable's name.
    ///   - accessReporter: told of every lookup (swift-configuration's `AccessLogger` logs
    ///     them, secrets redacted).
    /// - Throws: ``ConfigurationError`` for an unknown flag, a missing value, or a secret
    ///   file that cannot be read.
    public init(
        settings: [any DeclaredSetting],
        arguments: [String],
        environment: [String: String],
        accessReporter: (any AccessReporter)? = nil
    ) throws(ConfigurationError) {
        let declarations = settings.map(\.declaration)
        precondition(Set(declarations.map(\.flag)).count == declarations.count, "two settings share a flag")
        let set = environment.filter { !$0.value.isEmpty }
        let declared = Set(declarations.compactMap(\.environment))
        let variableByKey = Dictionary(
            declarations.compactMap { declaration in
                declaration.environment.map { (AbsoluteConfigKey(declaration.key), $0) }
            },
            uniquingKeysWith: { first, _ in first }
        )
        let environmentProvider = KeyMappingProvider(
            upstream: EnvironmentVariablesProvider(
                environmentVariables: set.filter { declared.contains($0.key) },
                secretsSpecifier: .specific(Set(declarations.filter(\.isSecret).compactMap(\.environment)))
            ),
            // The variable of each setting, whose name need not follow its key's.
            keyMapper: { key in variableByKey[key].map { AbsoluteConfigKey([$0]) } ?? key }
        )

        var secretFiles: [AbsoluteConfigKey: ConfigValue] = [:]
        for declaration in declarations {
            guard let variable = declaration.fileEnvironment, let path = set[variable] else { continue }
            secretFiles[AbsoluteConfigKey(declaration.key)] = ConfigValue(
                .string(try SecretFile.read(path, for: declaration, namedBy: variable)), isSecret: true
            )
        }
        var defaults: [AbsoluteConfigKey: ConfigValue] = [:]
        for declaration in declarations {
            guard let text = declaration.defaultText else { continue }
            defaults[AbsoluteConfigKey(declaration.key)] = ConfigValue(.string(text), isSecret: false)
        }

        config = ConfigReader(
            providers: [
                InMemoryProvider(
                    name: "command line", values: try CommandLineValues.parse(arguments, declarations: declarations)),
                environmentProvider,
                InMemoryProvider(name: "secret files", values: secretFiles),
                InMemoryProvider(name: "defaults", values: defaults),
            ],
            accessReporter: accessReporter
        )
    }

    /// The setting's value from the first source that has one; nil when none has and it has
    /// no default.
    /// - Throws: ``ConfigurationError`` naming the setting when its text is not a value of it.
    public func optionalValue<Value>(_ setting: Setting<Value>) throws(ConfigurationError) -> Value? {
        let declaration = setting.declaration
        guard let text = config.string(forKey: declaration.key, isSecret: declaration.isSecret) else { return nil }
        do {
            return try setting.parse(text)
        } catch let error as ConfigurationError {
            throw error
        } catch let error as InvalidSettingValue {
            throw ConfigurationError("\(declaration.names) \(error.reason)")
        } catch {
            throw ConfigurationError("\(declaration.names): \(error)")
        }
    }

    /// The setting's value, or its default.
    /// - Throws: ``ConfigurationError`` naming the setting when its text is not a value of it,
    ///   or when it has no value and no default (a required setting).
    public func value<Value>(_ setting: Setting<Value>) throws(ConfigurationError) -> Value {
        guard let value = try optionalValue(setting) else {
            throw ConfigurationError("\(setting.declaration.names) is required")
        }
        return value
    }
}
