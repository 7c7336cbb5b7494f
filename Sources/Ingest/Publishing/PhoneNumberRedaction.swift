import NIOCore

/// Masks whatever in a raw body could be a phone number, for the dead-letter copy.
///
/// A run of 7 or more digits, possibly broken by `+ - . ( )`, spaces or a percent-encoded
/// `+` (`%2B`), keeps its last 4 digits and has every other digit replaced by `*`. This
/// also masks long timestamps and ids; for a dead letter, keeping numbers out of Kafka
/// matters more than keeping those readable.
enum PhoneNumberRedaction {
    static let minimumDigits = 7

    static func redact(_ body: ByteBuffer) -> ByteBuffer {
        var bytes = Array(body.readableBytesView)
        var index = 0
        while index < bytes.count {
            guard isDigit(bytes[index]) else {
                index += 1
                continue
            }
            // Collect the digit positions of this run, allowing separators between digits.
            var digitPositions: [Int] = []
            var cursor = index
            while cursor < bytes.count {
                if isDigit(bytes[cursor]) {
                    digitPositions.append(cursor)
                    cursor += 1
                } else if isSeparator(bytes[cursor]), cursor + 1 < bytes.count,
                    isDigit(bytes[cursor + 1]) || isSeparator(bytes[cursor + 1])
                {
                    cursor += 1
                } else {
                    break
                }
            }
            if digitPositions.count >= minimumDigits {
                for position in digitPositions.dropLast(4) {
                    bytes[position] = UInt8(ascii: "*")
                }
            }
            index = cursor
        }
        return ByteBuffer(bytes: bytes)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "+"):
            true
        default:
            false
        }
    }
}
