import Foundation

/// Answers "is the socket listening on this port the one our Tansu process opened?".
///
/// A free port is picked by binding port 0 and closing the socket, so another process
/// can take it before Tansu binds it; Tansu then exits, but a probe made in between
/// would reach the other process and report a false "ready". On Linux the listening
/// socket's inode (from /proc/net/tcp and tcp6) is looked up among the descriptors of
/// Tansu's process. Elsewhere the answer is `.unknown` and the caller relies on Tansu
/// still running after a successful probe.
enum ListenerOwnership: Equatable {
    case owned
    case notOwned
    case unknown

    static func check(pid: Int32, port: Int) -> ListenerOwnership {
        #if os(Linux)
        var inodes = Set<String>()
        var readAny = false
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            readAny = true
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A",  // 0A: LISTEN
                    let colon = fields[1].lastIndex(of: ":"),
                    Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port
                else { continue }
                inodes.insert("socket:[\(fields[9])]")
            }
        }
        let directory = "/proc/\(pid)/fd"
        guard readAny, !inodes.isEmpty,
            let descriptors = try? FileManager.default.contentsOfDirectory(atPath: directory)
        else { return .unknown }
        let owned = descriptors.contains { name in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")).map(inodes.contains)
                ?? false
        }
        return owned ? .owned : .notOwned
        #else
        return .unknown
        #endif
    }
}
