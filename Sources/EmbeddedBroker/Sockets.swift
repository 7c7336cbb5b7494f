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
               let result = body(address, info.pointee.ai_addrlen, info.pointee.ai_family) {
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
            var storage = sockaddr_storage()
            var storageLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &storageLength) }
            }
            guard named == 0 else { return nil }
            let port = port(of: storage)
            return port > 0 ? port : nil
        }
    }

    static func port(of storage: sockaddr_storage) -> Int {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return 0
        }
    }

    /// Connects to `host:port` within `timeoutMilliseconds`; returns the connected
    /// (blocking) descriptor, or nil.
    static func connect(host: String, port: Int, timeoutMilliseconds: Int32) -> Int32? {
        firstResult(host: host, port: port) { address, length, family -> Int32? in
            let fd = socket(family, streamType, 0)
            guard fd >= 0 else { return nil }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            #if canImport(Darwin)
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = systemConnect(fd, address, length)
            if result != 0 && errno == EINPROGRESS {
                var pollDescriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&pollDescriptor, 1, timeoutMilliseconds) == 1 {
                    var socketError: Int32 = 0
                    var errorLength = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &errorLength)
                    result = socketError == 0 ? 0 : -1
                }
            }
            guard result == 0 else {
                close(fd)
                return nil
            }
            _ = fcntl(fd, F_SETFL, flags)
            return fd
        }
    }

    /// Connects and sends a Kafka ApiVersions v0 request; `.kafka` when a response with
    /// the same correlation id comes back (any error code counts: the broker answered).
    static func probe(host: String, port: Int, timeoutMilliseconds: Int32) -> ProbeResult {
        guard let fd = connect(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds) else {
            return .refused
        }
        defer { close(fd) }
        let correlationID: UInt32 = 0x4542_5052  // "EBPR"
        let clientID = Array("embedded-broker-probe".utf8)
        var request: [UInt8] = []
        func append16(_ value: UInt16) { request += [UInt8(value >> 8), UInt8(value & 0xff)] }
        func append32(_ value: UInt32) {
            request += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
        }
        append32(UInt32(2 + 2 + 4 + 2 + clientID.count))  // size of what follows
        append16(18)  // api_key: ApiVersions
        append16(0)  // api_version 0: answered by every Kafka broker
        append32(correlationID)
        append16(UInt16(clientID.count))
        request += clientID
        guard writeAll(fd, request) else { return .connectedWithoutAnswer }
        guard let header = readExactly(fd, count: 8, timeoutMilliseconds: timeoutMilliseconds) else {
            return .connectedWithoutAnswer
        }
        let answered = header[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return answered == correlationID ? .kafka : .connectedWithoutAnswer
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                send(fd, buffer.baseAddress, buffer.count, noSignal)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private static func readExactly(_ fd: Int32, count: Int, timeoutMilliseconds: Int32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            var pollDescriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollDescriptor, 1, timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready == 1 else { return nil }
            let received = bytes[offset...].withUnsafeMutableBytes { buffer in
                recv(fd, buffer.baseAddress, buffer.count, 0)
            }
            if received < 0 && errno == EINTR { continue }
            guard received > 0 else { return nil }
            offset += received
        }
        return bytes
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
