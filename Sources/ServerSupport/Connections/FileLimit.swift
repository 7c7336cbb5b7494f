#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit (RLIMIT_NOFILE): every connection is one open file.
public enum FileLimit {
    /// Raises the soft limit to the hard limit where the system allows it; returns the
    /// limits then in force (nil when they cannot be read).
    public static func raiseToHardLimit() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 {
                limit = raised
            }
        }
        return (clamped(limit.rlim_cur), clamped(limit.rlim_max))
    }

    /// Connections that fit in `openFiles`, keeping a reserve (``reserve(_:)``) for
    /// everything else the process opens and for answering refused connections.
    public static func connections(fitting openFiles: Int) -> Int {
        max(1, openFiles - reserve(openFiles))
    }

    /// Refused connections that may be answered at once beside `connections` open ones:
    /// the files left, keeping half the reserve for Kafka, event loops and logs (an idle
    /// Ingest holds about 25).
    public static func refusals(fitting openFiles: Int, connections: Int) -> Int {
        max(1, openFiles - connections - reserve(openFiles) / 2)
    }

    /// Files kept from connections: a tenth of the limit, at least 64.
    static func reserve(_ openFiles: Int) -> Int {
        max(64, openFiles / 10)
    }

    #if os(Linux)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif

    /// `RLIM_INFINITY` and other huge values as `Int.max`.
    private static func clamped(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)
    }
}
