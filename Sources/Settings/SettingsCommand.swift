import Foundation

/// An executable whose settings are ``Setting`` declarations: `main()` reads them with one
/// ``SettingsReader``, answers `--help` from them, and refuses bad ones before `run()`.
///
/// Exit status: 0 after `--help` or a `run()` that returns; ``usageErrorExitCode`` for a
/// ``ConfigurationError`` (an unknown flag, a bad value, from the reader or from `run()`),
/// with its message on stderr; an ``ExitCode``'s own; 1 for any other error.
public protocol SettingsCommand {
    static var commandName: String { get }
    static var abstract: String { get }
    static var discussion: String { get }
    /// Every setting, in the order `--help` lists them.
    static var settings: [any DeclaredSetting] { get }
    /// 64 (`EX_USAGE`) unless the command says otherwise.
    static var usageErrorExitCode: Int32 { get }

    init(reading settings: SettingsReader) throws
    func run() async throws
}

extension SettingsCommand {
    public static var usageErrorExitCode: Int32 { 64 }

    public static var helpText: String {
        HelpText.render(
            name: commandName, abstract: abstract, discussion: discussion, settings: settings.map(\.declaration))
    }

    public static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(helpText, terminator: "")
            exit(0)
        }
        do {
            let reader = try SettingsReader(
                settings: settings, arguments: arguments, environment: ProcessInfo.processInfo.environment)
            try await Self(reading: reader).run()
        } catch let error as ConfigurationError {
            printError("Error: \(error)\n  See '\(commandName) --help' for more information.")
            exit(usageErrorExitCode)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            printError("Error: \(error)")
            exit(1)
        }
        exit(0)
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
