#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
            guard let text = readSmallFile(table) else { continue }
            readAny = true
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A",  // 0A: LISTEN
                      let colon = fields[1].lastIndex(of: ":"),
                      Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port
                else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        guard readAny, !inodes.isEmpty else { return .unknown }
        guard let directory = opendir("/proc/\(pid)/fd") else { return .unknown }
        defer { closedir(directory) }
        var buffer = [CChar](repeating: 0, count: 256)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.first?.isNumber == true else { continue }
            let length = readlink("/proc/\(pid)/fd/\(name)", &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "socket:[12345]"
            if target.hasPrefix("socket:["), target.hasSuffix("]"),
               inodes.contains(String(target.dropFirst(8).dropLast())) {
                return .owned
            }
        }
        return .notOwned
        #else
        return .unknown
        #endif
    }

    /// Reads a file whose size the kernel reports as 0 (procfs), up to 4 MiB.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < 4 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
