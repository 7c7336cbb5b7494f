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
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
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

    /// True when `text` is a non-empty run of ASCII digits (no sign, no spaces).
    static func isDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
