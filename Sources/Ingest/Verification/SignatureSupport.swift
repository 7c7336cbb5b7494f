import Foundation

/// Lowercase hexadecimal, as the signature headers use it.
enum Hex {
    static func encode<S: Sequence<UInt8>>(_ bytes: S) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text` (either case), or nil when it is not an even run of hex digits.
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var characters = utf8.makeIterator()
        while let first = characters.next() {
            guard let second = characters.next(), let high = nibble(first), let low = nibble(second) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a signature was refused. Providers turn it into a 401 ``WebhookRejection``.
struct SignatureFailure: Error, Sendable, Hashable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A key or secret that cannot be used to verify anything (a configuration error, found at start-up).
struct SignatureKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Replay protection shared by the timestamped schemes (Retell, Telnyx, generic).
struct TimestampWindow: Sendable {
    /// The largest accepted distance between a signature's timestamp and now, either way.
    var tolerance: Duration
    var now: @Sendable () -> Date

    var toleranceSeconds: Double {
        let (seconds, attoseconds) = tolerance.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Checks that `timestamp` is within the tolerance of now; `source` names it in messages
    /// (e.g. `telnyx-timestamp`, `x-retell-signature timestamp`).
    func check(_ timestamp: Date, source: String) throws(SignatureFailure) {
        let skew = timestamp.timeIntervalSince(now())
        let limit = toleranceSeconds
        if skew < -limit {
            throw SignatureFailure("\(source) is \(Self.wholeSeconds(-skew)) s old; at most \(Int(limit)) s is accepted (replayed or delayed delivery)")
        }
        if skew > limit {
            throw SignatureFailure("\(source) is \(Self.wholeSeconds(skew)) s in the future; at most \(Int(limit)) s of clock skew is accepted")
        }
    }

    /// Seconds rounded up for messages (ignoring floating-point noise), so that a refused
    /// timestamp never reads as within the tolerance.
    private static func wholeSeconds(_ seconds: Double) -> Int {
        Int((seconds - 1e-6).rounded(.up))
    }
}

/// Parses signature headers of the form `k1=v1,k2=v2,…` (Retell's `v=…,d=…`, the generic
/// `t=…,v1=…`). Keys may repeat; whitespace around items is ignored.
enum SignatureHeader {
    static func items(_ header: String) -> [(key: String, value: String)] {
        header.split(separator: ",", omittingEmptySubsequences: true).compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            return (
                parts[0].trimmedWhitespace(),
                parts[1].trimmedWhitespace()
            )
        }
    }

    /// Calls `body` with the key and value of each item of `header`, in order: the same
    /// items as ``items(_:)``, but as slices of `header`, so nothing is copied or allocated
    /// (the generic provider's header is parsed on every webhook).
    ///
    /// Splitting on the bytes `,` and `=` equals ``items(_:)``'s split on characters only
    /// for ASCII text (a combining mark after a comma would join it into one character), so
    /// a header with any other byte goes through ``items(_:)`` itself.
    static func forEachItem(_ header: String, _ body: (_ key: Substring, _ value: Substring) -> Void) {
        let utf8 = header.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else {
            for item in items(header) { body(Substring(item.key), Substring(item.value)) }
            return
        }
        var itemStart = utf8.startIndex
        while itemStart != utf8.endIndex {
            let itemEnd = utf8[itemStart...].firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
            if let equals = utf8[itemStart..<itemEnd].firstIndex(of: UInt8(ascii: "=")) {
                body(
                    header[itemStart..<equals].trimmingWhitespace(),
                    header[utf8.index(after: equals)..<itemEnd].trimmingWhitespace()
                )
            }
            itemStart = itemEnd == utf8.endIndex ? itemEnd : utf8.index(after: itemEnd)
        }
    }

    /// True when `text` is a non-empty run of ASCII digits (no sign, no spaces).
    static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
