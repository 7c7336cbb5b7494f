import WireFormats

/// Where a room's event stream stands: the incarnation of the topic's offsets, and the
/// Kafka offset of the room's last event in each partition.
///
/// Every Bridge instance reads every partition, so the same record has the same
/// `(partition, offset)` everywhere: a position taken on one instance means the same on
/// any other. Offsets are comparable only within one ``incarnation``: it changes when
/// offsets start over (see ``RoomHub/startOver(_:)``). Clients get a position as an opaque
/// string (``encoded``) and only echo it back.
package struct RoomPosition: Sendable, Hashable {
    private(set) var incarnation: UInt32
    private(set) var offsets: [Int32: Int64]

    /// Longest accepted encoded form: positions arrive from clients.
    static let maximumEncodedLength = 4096
    /// Version 1 had no incarnation; such positions are refused.
    private static let version: UInt8 = 2

    /// Asks for a resume that cannot be honoured (a client sent an id this server did not
    /// issue): it names offsets no instance has consumed, so the answer is a snapshot with
    /// `recovered:false`.
    static let unrecoverable = RoomPosition(incarnation: .max, offsets: [Int32.max: Int64.max])

    package init(incarnation: UInt32 = 0, offsets: [Int32: Int64] = [:]) {
        self.incarnation = incarnation
        self.offsets = offsets
    }

    /// The position in a new incarnation: `partitions` started over, so what this position
    /// says of them no longer holds.
    func startingOver(_ partitions: [Int32], incarnation: UInt32) -> RoomPosition {
        var offsets = self.offsets
        for partition in partitions { offsets[partition] = nil }
        return RoomPosition(incarnation: incarnation, offsets: offsets)
    }

    mutating func advance(partition: Int32, offset: Int64) {
        if offset > offsets[partition, default: -1] {
            offsets[partition] = offset
        }
    }

    /// Whether the record at `(partition, offset)` comes after this position.
    func precedes(partition: Int32, offset: Int64) -> Bool {
        offset > offsets[partition, default: -1]
    }

    /// A version byte, the incarnation, then per partition (in order) the partition and the
    /// offset, all as unsigned LEB128 varints, as base64url without padding.
    package var encoded: String {
        var bytes: [UInt8] = [Self.version]
        Self.appendVarint(UInt64(incarnation), to: &bytes)
        for partition in offsets.keys.sorted() {
            Self.appendVarint(UInt64(UInt32(bitPattern: partition)), to: &bytes)
            Self.appendVarint(UInt64(bitPattern: offsets[partition]!), to: &bytes)
        }
        return Base64URL.encode(bytes)
    }

    /// Parses what ``encoded`` produced; nil for anything else.
    init?(encoded text: String) {
        guard !text.isEmpty, text.utf8.count <= Self.maximumEncodedLength,
            let data = Base64URL.decode(text), data.first == Self.version
        else { return nil }
        var index = data.startIndex + 1
        guard let incarnation = Self.readVarint(data, &index), incarnation <= UInt64(UInt32.max) else { return nil }
        var offsets: [Int32: Int64] = [:]
        while index < data.endIndex {
            guard let partition = Self.readVarint(data, &index), partition <= UInt64(Int32.max),
                let offset = Self.readVarint(data, &index), offset <= UInt64(Int64.max),
                offsets[Int32(partition)] == nil
            else { return nil }
            offsets[Int32(partition)] = Int64(offset)
        }
        self.incarnation = UInt32(incarnation)
        self.offsets = offsets
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func readVarint(_ data: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < data.endIndex {
            let byte = data[index]
            index += 1
            guard shift < 64 else { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
