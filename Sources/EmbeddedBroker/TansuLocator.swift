import Foundation

/// Finds the Tansu executable (see ``EmbeddedBroker/Configuration/tansuPath``).
enum TansuLocator {
    static let setupHint =
        "Run scripts/setup.sh to install it into .venv/bin/tansu, or point TANSU_BIN (or --tansu) at a Tansu binary."

    static func resolve(
        _ explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(EmbeddedBrokerError) -> String {
        if let explicit, !explicit.isEmpty {
            return try resolveNamed(explicit, origin: "the configured Tansu path", environment: environment)
        }
        if let fromEnvironment = environment["TANSU_BIN"], !fromEnvironment.isEmpty {
            return try resolveNamed(fromEnvironment, origin: "TANSU_BIN", environment: environment)
        }
        var searched: [String] = []
        for start in [currentDirectory] + executableDirectories() where !searched.contains(start) {
            for directory in ancestors(of: start) {
                let candidate = directory == "/" ? "/.venv/bin/tansu" : directory + "/.venv/bin/tansu"
                if isExecutable(candidate) { return candidate }
            }
            searched.append(start)
        }
        if let onPath = searchPath("tansu", environment: environment) { return onPath }
        throw EmbeddedBrokerError(
            .binaryNotFound,
            "Tansu broker binary not found: TANSU_BIN is not set, no .venv/bin/tansu in "
                + searched.map { "\($0)" }.joined(separator: " or ")
                + " or any parent directory, and no tansu on PATH. " + setupHint
        )
    }

    private static func resolveNamed(
        _ name: String, origin: String, environment: [String: String]
    ) throws(EmbeddedBrokerError) -> String {
        if name.contains("/") {
            if isExecutable(name) { return name }
            let reason = FileManager.default.fileExists(atPath: name) ? "is not an executable file" : "does not exist"
            throw EmbeddedBrokerError(
                .binaryNotFound, "Tansu broker binary not found: \(origin) \(name) \(reason). \(setupHint)")
        }
        if let found = searchPath(name, environment: environment) { return found }
        throw EmbeddedBrokerError(
            .binaryNotFound, "Tansu broker binary not found: \(origin) \"\(name)\" is not on PATH. \(setupHint)")
    }

    static func isExecutable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    private static func searchPath(_ name: String, environment: [String: String]) -> String? {
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// The running executable's directory (symlinks resolved), found several ways since
    /// test runners differ in what they put in `argv[0]`.
    private static func executableDirectories() -> [String] {
        var paths: [String] = []
        #if os(Linux)
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            paths.append(link)
        }
        #endif
        if let main = Bundle.main.executableURL?.path {
            paths.append(main)
        }
        if let first = CommandLine.arguments.first, first.contains("/") {
            paths.append(first)
        }
        var seen = Set<String>()
        return paths.compactMap { path in
            let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
            let directory = url.deletingLastPathComponent().path
            return seen.insert(directory).inserted ? directory : nil
        }
    }

    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var url = URL(fileURLWithPath: path).standardizedFileURL
        while true {
            result.append(url.path)
            let parent = url.deletingLastPathComponent().standardizedFileURL
            if parent.path == url.path || result.count > 64 { break }
            url = parent
        }
        return result
    }
}
