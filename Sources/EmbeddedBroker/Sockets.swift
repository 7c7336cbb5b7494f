#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small blocking socket helpers: free-port selection and the readiness probe.
/// Every call is bounded by a timeout; callers run them off the cooperative pool.
enum Sockets {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let streamType = SOCK_STREAM
    #endif

    /// What a readiness probe found on a port.
    enum ProbeResult: Sendable, Equatable {
        /// Nothing accepted a connection.
        case refused
        /// A connection was accepted but no Kafka ApiVersions response came back in time.
        case connectedWithoutAnswer
        /// A Kafka broker answered an ApiVersions request.
        case kafka
    }

    /// Resolves `host` (numeric or a name) and calls `body` with each address until it
    /// returns a non-nil value.
    static func firstResult<T>(
        host: String,
        port: Int,
        passive: Bool = false,
        _ body: (UnsafePointer<sockaddr>, socklen_t, Int32) -> T?
    ) -> T? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { return nil }
        defer { freeaddrinfo(list) }
        var current: UnsafeMutablePointer<addrinfo>? = list
        while let info = current {
            if let address = info.pointee.ai_addr,
                let result = body(address, info.pointee.ai_addrlen, info.pointee.ai_family)
            {
                return result
            }
            current = info.pointee.ai_next
        }
        return nil
    }

    /// Binds a socket to port 0 on `host`, reads the port the kernel chose and closes it.
    static func freePort(host: String) -> Int? {
        firstResult(host: host, port: 0, passive: true) { address, length, family -> Int? in
            let fd = socket(family, streamType, 0)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            guard bind(fd, address, length) == 0 else { return nil }
            // Large enough for either family; the port is at the same offset in
            // sockaddr_in and sockaddr_in6.
            var bound = sockaddr_in6()
            var boundLength = socklen_t(MemoryLayout<sockaddr_in6>.size)
            let named = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
            }
            let port = Int(UInt16(bigEndian: bound.sin6_port))
            return named == 0 && port > 0 ? port : nil
        }
    }

    /// Connects and sends a Kafka ApiVersions v0 request; `.kafka` when a response with
    /// the same correlation id comes back (any error code counts: the broker answered).
    /// Connecting, sending and receiving are each bounded by `timeoutMilliseconds`.
    static func probe(host: String, port: Int, timeoutMilliseconds: Int32) -> ProbeResult {
        let correlationID: UInt32 = 0x4542_5052  // "EBPR"
        let clientID = Array("embedded-broker-probe".utf8)
        var request: [UInt8] = []
        func append16(_ value: UInt16) { request += [UInt8(value >> 8), UInt8(value & 0xff)] }
        func append32(_ value: UInt32) {
            request += [
                UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff),
            ]
        }
        append32(UInt32(2 + 2 + 4 + 2 + clientID.count))  // size of what follows
        append16(18)  // api_key: ApiVersions
        append16(0)  // api_version 0: answered by every Kafka broker
        append32(correlationID)
        append16(UInt16(clientID.count))
        request += clientID

        return firstResult(host: host, port: port) { address, length, family -> ProbeResult? in
            let fd = socket(family, streamType, 0)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var timeout = timeval(
                tv_sec: .init(timeoutMilliseconds / 1000), tv_usec: .init(timeoutMilliseconds % 1000 * 1000))
            let size = socklen_t(MemoryLayout<timeval>.size)
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)  // bounds connect too
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
            #if canImport(Darwin)
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            guard systemConnect(fd, address, length) == 0 else { return nil }  // the next address, if any
            let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, noSignal) }
            var header = [UInt8](repeating: 0, count: 8)
            guard sent == request.count,
                header.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_WAITALL)) }) == 8
            else { return .connectedWithoutAnswer }
            let answered = header[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return answered == correlationID ? .kafka : .connectedWithoutAnswer
        } ?? .refused
    }

    /// Flag for `send` that turns SIGPIPE into an EPIPE error (Darwin uses SO_NOSIGPIPE).
    #if canImport(Darwin)
    static let noSignal: Int32 = 0
    #else
    static let noSignal = Int32(MSG_NOSIGNAL)
    #endif
}

/// `connect(2)`, named so it does not clash with `Sockets.connect`.
@inline(__always)
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    #if canImport(Darwin)
    return Darwin.connect(fd, address, length)
    #elseif canImport(Musl)
    return Musl.connect(fd, address, length)
    #else
    return Glibc.connect(fd, address, length)
    #endif
}
