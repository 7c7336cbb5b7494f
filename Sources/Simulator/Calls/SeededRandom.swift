import CallEvents
import SeedableRandom
import WireFormats

/// The simulator's draws from a ``SplitMix64`` that a `--seed` makes repeatable. Not for
/// secrets: it only draws traffic.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    /// A uniform number in [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// One of `choices`, each as likely as its weight (weights > 0).
    mutating func weighted<T>(_ choices: [(T, Double)]) -> T {
        let total = choices.reduce(0) { $0 + $1.1 }
        var point = unit() * total
        for (choice, weight) in choices {
            if point < weight { return choice }
            point -= weight
        }
        return choices[choices.count - 1].0
    }

    /// `count` random lowercase hex digits (identifiers shaped like the providers').
    mutating func hex(_ count: Int) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(count)
        for _ in 0..<count { text.append(Hex.digits[Int(next() & 0x0F)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// A version 4 UUID, lowercase (Vapi's and Telnyx's ids).
    mutating func uuid() -> String {
        let a = hex(8)
        let b = hex(4)
        let c = hex(3)
        let d = hex(3)
        let e = hex(12)
        let variant = ["8", "9", "a", "b"][Int(next() % 4)]
        return "\(a)-\(b)-4\(c)-\(variant)\(d)-\(e)"
    }

    /// `count` characters of A-Z a-z 0-9 (Retell's call ids).
    mutating func alphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
    }
}
