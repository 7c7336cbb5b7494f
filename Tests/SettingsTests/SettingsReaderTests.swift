import Configuration
import Foundation
import Logging
import Settings
import Testing

@Suite("Settings: one declaration, read from the command line, environment, secret files, defaults")
struct SettingsReaderTests {
    static let port = Setting<Int>(
        flag: "--port", environment: "PORT", default: 8080, in: 0...65535, help: "Port to listen on")
    static let topic = Setting<String>(
        flag: "--topic", environment: "CALLS_TOPIC", default: "calls.lifecycle.v1", help: "Topic")
    static let rate = Setting<Double>(flag: "--rate", default: 5, in: 0.01...100, help: "Rate")
    static let json = Setting.switch(flag: "--json", help: "JSON")
    static let progress = Setting.switch(flag: "--progress", inversion: true, default: nil, help: "Progress")
    static let window = Setting<Duration>(
        flag: "--window-ms", environment: "WINDOW_MS", default: .seconds(2), unit: .milliseconds, in: 1...10_000,
        help: "Window"
    )
    static let level = Setting<Logger.Level>.logLevel
    static let token = Setting.secret("API_TOKEN", fileFlag: "--api-token-file", what: "the API token")
    static let all: [any DeclaredSetting] = [port, topic, rate, json, progress, window, level, token]

    static let secretValue = "s3cr3t-value-never-printed"

    func reader(_ arguments: [String] = [], _ environment: [String: String] = [:]) throws -> SettingsReader {
        try SettingsReader(settings: Self.all, arguments: arguments, environment: environment)
    }

    func failure(
        _ arguments: [String] = [], _ environment: [String: String] = [:],
        reading: (SettingsReader) throws -> Void = { _ in }
    )
        -> String
    {
        do {
            try reading(try reader(arguments, environment))
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("flag wins over environment, environment over default; the default without either")
    func precedence() throws {
        #expect(try reader().value(Self.port) == 8080)
        #expect(try reader([], ["PORT": "9000"]).value(Self.port) == 9000)
        #expect(try reader(["--port", "9100"], ["PORT": "9000"]).value(Self.port) == 9100)
        #expect(try reader(["--port=9200"], ["PORT": "9000"]).value(Self.port) == 9200)
        #expect(try reader([], ["CALLS_TOPIC": "other"]).value(Self.topic) == "other")
        #expect(try reader().value(Self.window) == .seconds(2))
        #expect(try reader([], ["WINDOW_MS": "250"]).value(Self.window) == .milliseconds(250))
        #expect(try reader(["--log-level", "DEBUG"]).value(Self.level) == .debug)
    }

    @Test("an empty environment variable counts as unset")
    func emptyEnvironment() throws {
        #expect(try reader([], ["PORT": "", "CALLS_TOPIC": ""]).value(Self.port) == 8080)
        #expect(try reader([], ["CALLS_TOPIC": ""]).value(Self.topic) == "calls.lifecycle.v1")
        #expect(try reader([], ["API_TOKEN": ""]).optionalValue(Self.token) == nil)
    }

    @Test("only declared variables are read: a setting without one ignores its key's variable")
    func undeclaredVariables() throws {
        #expect(try reader([], ["RATE": "50"]).value(Self.rate) == 5)
    }

    @Test("a value out of range is refused naming the flag and the variable")
    func rangeRefusal() {
        #expect(
            failure(["--port", "70000"]) { _ = try $0.value(Self.port) }
                == "--port (or PORT) must be between 0 and 65535, not 70000")
        #expect(
            failure([], ["PORT": "-1"]) { _ = try $0.value(Self.port) }
                == "--port (or PORT) must be between 0 and 65535, not -1")
        #expect(
            failure([], ["PORT": "lots"]) { _ = try $0.value(Self.port) }
                == "--port (or PORT) must be a whole number, not 'lots'")
        #expect(
            failure(["--rate", "0"]) { _ = try $0.value(Self.rate) } == "--rate must be between 0.01 and 100.0, not 0.0"
        )
        #expect(
            failure(["--log-level", "chatty"]) { _ = try $0.value(Self.level) }.hasPrefix(
                "--log-level (or LOG_LEVEL) must be one of trace"))
    }

    @Test("unknown flags, stray arguments and missing values are refused")
    func commandLineRefusals() {
        #expect(failure(["--no-such-flag"]) == "Unknown option '--no-such-flag'")
        #expect(failure(["--no-json"]) == "Unknown option '--no-json'")
        #expect(failure(["extra"]) == "Unexpected argument 'extra'")
        #expect(failure(["--port"]) == "Missing value for '--port <port>'")
        #expect(failure(["--port", "--json"]) == "Missing value for '--port <port>'")
        #expect(failure(["--json=yes"]) == "--json takes no value")
    }

    @Test("switches: --json, and --progress/--no-progress with no default")
    func switches() throws {
        #expect(try reader().value(Self.json) == false)
        #expect(try reader(["--json"]).value(Self.json) == true)
        #expect(try reader().optionalValue(Self.progress) == nil)
        #expect(try reader(["--progress"]).optionalValue(Self.progress) == true)
        #expect(try reader(["--progress", "--no-progress"]).optionalValue(Self.progress) == false)
    }

    @Test("secrets: --NAME-file, then NAME, then NAME_FILE; trailing newlines dropped")
    func secretPrecedence() throws {
        let flagFile = try temporaryFile("from-flag-file\n")
        let envFile = try temporaryFile("from-env-file\n\n")
        defer {
            try? FileManager.default.removeItem(atPath: flagFile)
            try? FileManager.default.removeItem(atPath: envFile)
        }
        #expect(try reader().optionalValue(Self.token) == nil)
        #expect(try reader([], ["API_TOKEN_FILE": envFile]).optionalValue(Self.token) == "from-env-file")
        #expect(
            try reader([], ["API_TOKEN": "from-env", "API_TOKEN_FILE": envFile]).optionalValue(Self.token) == "from-env"
        )
        #expect(
            try reader(["--api-token-file", flagFile], ["API_TOKEN": "from-env"]).optionalValue(Self.token)
                == "from-flag-file")
    }

    /// Keeps what the reader reports of each lookup.
    final class Lookups: AccessReporter, @unchecked Sendable {
        // @unchecked: written and read on the test's own task only.
        var events: [AccessEvent] = []
        func report(_ event: AccessEvent) { events.append(event) }
    }

    @Test("each value comes from the first provider that has it: command line, environment, secret files, defaults")
    func providerOrder() throws {
        let file = try temporaryFile("from-env-file")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cases: [([String], [String: String], String)] = [
            (["--port", "1"], ["PORT": "2"], "command line"),
            ([], ["PORT": "2"], "EnvironmentVariablesProvider"),
            ([], [:], "defaults"),
        ]
        for (arguments, environment, provider) in cases {
            let lookups = Lookups()
            _ = try SettingsReader(
                settings: Self.all, arguments: arguments, environment: environment, accessReporter: lookups
            )
            .value(Self.port)
            let answered = lookups.events.last?.providerResults.first { result in
                if case .success(let lookup) = result.result { lookup.value != nil } else { false }
            }
            #expect(
                answered?.providerName.contains(provider) == true,
                "\(arguments) \(environment): \(String(describing: answered?.providerName))")
        }
        let lookups = Lookups()
        _ = try SettingsReader(
            settings: Self.all, arguments: [], environment: ["API_TOKEN_FILE": file], accessReporter: lookups
        )
        .optionalValue(Self.token)
        #expect(lookups.events.last?.providerResults.contains { $0.providerName.contains("secret files") } == true)
    }

    @Test("secret values are marked secret in every source, so the reader redacts them")
    func secretsRedacted() throws {
        let file = try temporaryFile(Self.secretValue)
        defer { try? FileManager.default.removeItem(atPath: file) }
        for (arguments, environment) in [
            ([], ["API_TOKEN": Self.secretValue]), (["--api-token-file", file], [:]), ([], ["API_TOKEN_FILE": file]),
        ] {
            let lookups = Lookups()
            let settings = try SettingsReader(
                settings: Self.all, arguments: arguments, environment: environment, accessReporter: lookups)
            #expect(try settings.optionalValue(Self.token) == Self.secretValue)
            let event = try #require(lookups.events.last)
            #expect(try event.result.get()?.isSecret == true, "\(arguments) \(environment)")
            // The provider that has it marks it secret too, even for a lookup that does not say so.
            _ = settings.config.string(forKey: Self.token.declaration.key)
            #expect(try lookups.events.last?.result.get()?.isSecret == true, "\(arguments) \(environment)")
        }
        let lookups = Lookups()
        _ = try SettingsReader(settings: Self.all, arguments: [], environment: ["PORT": "1"], accessReporter: lookups)
            .value(Self.port)
        #expect(try lookups.events.last?.result.get()?.isSecret == false)
    }

    @Test("a secret file that cannot be read or is empty is refused naming the file, never a secret")
    func secretFileRefusals() throws {
        let empty = try temporaryFile("\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let missing = failure(["--api-token-file", "/nonexistent/token"])
        #expect(missing.contains("/nonexistent/token") && missing.contains("API_TOKEN"))
        #expect(failure([], ["API_TOKEN_FILE": "/nonexistent/other"]).contains("/nonexistent/other"))
        #expect(failure(["--api-token-file", empty]).contains("is empty"))
        #expect(
            !failure(["--api-token-file", "/nonexistent/token"], ["API_TOKEN": Self.secretValue]).contains(
                Self.secretValue))
    }

    @Test("--help lists every option with its variable and default, and secrets by their file flag only")
    func help() {
        struct Command: SettingsCommand {
            static let commandName = "example"
            static let abstract = "An example."
            static let discussion = ""
            static let settings = SettingsReaderTests.all
            init(reading settings: SettingsReader) {}
            func run() async {}
        }
        let help = Command.helpText
        for declaration in Self.all.map(\.declaration) {
            #expect(help.contains("\n  \(declaration.flag)"), "help lacks \(declaration.flag)")
        }
        let flattened = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flattened.contains("Port to listen on (env PORT, default 8080)."))
        #expect(flattened.contains("(env WINDOW_MS, default 2000)"))
        #expect(flattened.contains("--rate <rate> Rate (default 5.0)."))
        #expect(flattened.contains("--progress, --no-progress"))
        #expect(flattened.contains("File holding the API token (instead of env API_TOKEN; or env API_TOKEN_FILE)."))
        // Only option lines start with "--": wrapping never puts a flag named in a help text first.
        let optionLines = help.split(separator: "\n").filter { $0.drop { $0 == " " }.hasPrefix("--") }
        #expect(optionLines.count == Self.all.count)
    }
}
