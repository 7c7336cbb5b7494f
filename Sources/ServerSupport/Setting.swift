import Foundation
import Logging

/// Resolves one setting the way every CallBridge option works: the command-line flag wins,
/// then the environment variable of the same meaning, then the default.
public struct Setting {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func string(_ flag: String?, env name: String, default value: String) -> String {
        flag ?? nonEmpty(environment[name]) ?? value
    }

    public func optionalString(_ flag: String?, env name: String) -> String? {
        flag ?? nonEmpty(environment[name])
    }

    /// An integer within `range`; a bad value is an error naming the flag or variable.
    public func integer(_ flag: Int?, env name: String, default value: Int, in range: ClosedRange<Int>, flagName: String) throws -> Int {
        let resolved: Int
        if let flag {
            resolved = flag
        } else if let text = nonEmpty(environment[name]) {
            guard let parsed = Int(text) else {
                throw ConfigurationError("\(name)=\(text) is not a whole number")
            }
            resolved = parsed
        } else {
            resolved = value
        }
        guard range.contains(resolved) else {
            throw ConfigurationError("\(flagName) (or \(name)) must be between \(range.lowerBound) and \(range.upperBound), not \(resolved)")
        }
        return resolved
    }

    /// A secret from its environment variable or from the file a `--NAME-file` flag names
    /// (trailing newlines dropped). Secrets are never taken from a flag's value itself.
    public func secret(env name: String, file path: String?) throws -> String? {
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("cannot read the secret file \(path) (for \(name))")
            }
            var text = String(decoding: data, as: UTF8.self)
            while let last = text.last, last.isNewline { text.removeLast() }
            guard !text.isEmpty else { throw ConfigurationError("the secret file \(path) (for \(name)) is empty") }
            return text
        }
        return nonEmpty(environment[name])
    }

    /// A log level by name (`trace` … `critical`), case-insensitive.
    public func logLevel(_ flag: String?, env name: String = "LOG_LEVEL", default value: Logger.Level = .info) throws -> Logger.Level {
        let text = string(flag, env: name, default: value.rawValue)
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError("--log-level (or \(name)): unknown log level '\(text)' (use trace, debug, info, notice, warning, error or critical)")
        }
        return level
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}

/// A configuration value that cannot be used; the message says which and why.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
