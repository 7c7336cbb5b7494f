import NIOCore

/// Per-connection limits and timers, the same for every connection of a server.
struct ConnectionSettings: Sendable {
    /// Bytes that may wait in a connection's outbound buffer (beyond a snapshot or replay
    /// just sent) before the client counts as stuck and is closed with 4008.
    var outboundLimitBytes = 1 << 20
    /// How long a stuck client's close frame may wait to be read before the TCP
    /// connection is dropped anyway.
    var slowCloseGrace: TimeAmount = .seconds(5)
    /// Largest client frame (and reassembled message).
    var maximumClientFrameBytes = 4096
    /// Sustained client messages per second (bursts of twice that).
    var clientMessagesPerSecond = 20
    var pingInterval: TimeAmount = .seconds(25)
    var pingTimeout: TimeAmount = .seconds(20)
    /// Rooms one connection may be in at once.
    var maximumRoomsPerConnection = 100
}
