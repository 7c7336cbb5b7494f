import Configuration

/// What `--help` and ``SettingsReader`` know of a setting, whatever the type of its value:
/// its flag, environment variable, default and help, written once in a ``Setting``.
public struct SettingDeclaration: Sendable {
    /// How the setting appears on the command line.
    public enum Kind: Sendable, Equatable {
        /// `--flag VALUE` or `--flag=VALUE`; `valueName` is what `--help` shows for VALUE.
        case value(valueName: String)
        /// `--flag` alone sets true; with `inversion`, `--no-flag` sets false.
        case `switch`(inversion: Bool)
        /// A secret: `--flag PATH` names a file holding it (so does `fileEnvironment`); the
        /// secret itself is never a flag's value.
        case secretFile
    }

    /// The key the reader looks the setting up by: the flag's words, `--kafka-brokers` is
    /// `kafka.brokers` (as swift-configuration's own command-line keys are).
    public let key: ConfigKey
    public let flag: String
    /// Its environment variable; nil for an option of the command line only.
    public let environment: String?
    /// For a secret: the variable naming a file that holds it (`NAME_FILE`, the Docker and
    /// Kubernetes convention).
    public let fileEnvironment: String?
    public let kind: Kind
    /// Said of the setting in `--help`, without its variable and default (they are added).
    public let help: String
    /// The default as the reader gets it (a text the setting's parser accepts); nil: none.
    public let defaultText: String?
    /// The default as `--help` shows it, when not `defaultText` (such as "one per core").
    public let defaultDescription: String?

    public var isSecret: Bool { kind == .secretFile }

    /// How messages name the setting: `--port (or PORT)`, `--rate`, `BRIDGE_JWT_SECRET (or
    /// --jwt-secret-file)`.
    public var names: String {
        guard let environment else { return flag }
        return isSecret ? "\(environment) (or \(flag))" : "\(flag) (or \(environment))"
    }

    init(
        flag: String,
        environment: String?,
        fileEnvironment: String? = nil,
        kind: Kind,
        help: String,
        defaultText: String?,
        defaultDescription: String?
    ) {
        precondition(flag.hasPrefix("--") && flag.count > 2, "a flag starts with --: \(flag)")
        self.key = ConfigKey(flag.dropFirst(2).split(separator: "-").map(String.init))
        self.flag = flag
        self.environment = environment
        self.fileEnvironment = fileEnvironment
        self.kind = kind
        self.help = help
        self.defaultText = defaultText
        self.defaultDescription = defaultDescription
    }
}

/// A setting of any value type, as a command lists its settings.
public protocol DeclaredSetting: Sendable {
    var declaration: SettingDeclaration { get }
}
