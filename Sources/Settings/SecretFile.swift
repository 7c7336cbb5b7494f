import Foundation

/// Reads a secret from the file a `--NAME-file` flag or a `NAME_FILE` variable names.
enum SecretFile {
    /// The file's text without trailing newlines. Messages name the file, never its content.
    static func read(
        _ path: String, for declaration: SettingDeclaration, namedBy source: String
    ) throws(ConfigurationError) -> String {
        let secret = declaration.environment ?? declaration.flag
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the secret file \(path) (\(source), for \(secret))")
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.last, last.isNewline { text.removeLast() }
        guard !text.isEmpty else {
            throw ConfigurationError("the secret file \(path) (\(source), for \(secret)) is empty")
        }
        return text
    }
}
