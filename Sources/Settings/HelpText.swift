/// `--help` of a command, made from its settings' declarations: every option with its
/// environment variable and default, as `OPTION (env NAME, default X)`.
enum HelpText {
    static let width = 100
    static let labelWidth = 34

    static func render(name: String, abstract: String, discussion: String, settings: [SettingDeclaration]) -> String {
        var lines = wrap("OVERVIEW: " + abstract, indent: 0, width: width)
        if !discussion.isEmpty {
            lines.append("")
            for line in discussion.split(separator: "\n", omittingEmptySubsequences: false) {
                let indent = line.prefix { $0 == " " }.count
                lines += line.isEmpty ? [""] : wrap(String(line), indent: indent, width: width)
            }
        }
        lines += ["", "USAGE: \(name) [<options>]", "", "OPTIONS:"]
        for setting in settings {
            lines += option(label(of: setting), text: text(of: setting))
        }
        lines += option("-h, --help", text: "Show help information.")
        return lines.joined(separator: "\n") + "\n"
    }

    static func valueName(of setting: SettingDeclaration) -> String {
        switch setting.kind {
        case .value(let valueName): valueName
        case .secretFile: "path"
        case .switch: ""
        }
    }

    private static func label(of setting: SettingDeclaration) -> String {
        switch setting.kind {
        case .switch(let inversion):
            inversion ? "\(setting.flag), --no-\(setting.flag.dropFirst(2))" : setting.flag
        case .value, .secretFile:
            "\(setting.flag) <\(valueName(of: setting))>"
        }
    }

    /// The help, then where else the value comes from and its default:
    /// `Port to listen on (env PORT, default 8080).`, `File holding the key (instead of env
    /// KEY; or env KEY_FILE).`
    private static func text(of setting: SettingDeclaration) -> String {
        var sources: [String] = []
        if setting.isSecret, let environment = setting.environment {
            sources.append("instead of env \(environment)" + (setting.fileEnvironment.map { "; or env \($0)" } ?? ""))
        } else {
            if let environment = setting.environment { sources.append("env \(environment)") }
            // A switch is off unless given: no default worth saying.
            if let shown = setting.defaultDescription ?? setting.defaultText,
                setting.kind != .switch(inversion: false) || shown != "false"
            {
                sources.append("default \(shown.isEmpty ? "none" : shown)")
            }
        }
        return setting.help + (sources.isEmpty ? "" : " (\(sources.joined(separator: ", ")))") + "."
    }

    private static func option(_ label: String, text: String) -> [String] {
        let indented = "  " + label
        var body = wrap(text, indent: labelWidth, width: width)
        if indented.count < labelWidth - 1 {
            body[0] = indented + String(body[0].dropFirst(indented.count))
            return body
        }
        return [indented] + body
    }

    /// `text` in lines of at most `width` characters (longer words stay whole), each but the
    /// first's words indented by `indent`. No line starts with a word beginning "--", so that
    /// only option lines do.
    static func wrap(_ text: String, indent: Int, width: Int) -> [String] {
        let words = text.split(separator: " ")
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in words {
            if !line.isEmpty, line.count + 1 + word.count > width, !word.hasPrefix("--") {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? margin + word : " " + word
        }
        lines.append(line)
        return lines
    }
}
