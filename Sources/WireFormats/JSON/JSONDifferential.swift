import Foundation

/// Compares ``JSONValue``'s reading of a document with Foundation's `JSONSerialization`.
///
/// The reader is hand-written for speed (docs/benchmarks.md), so it has to earn its place:
/// the differential test runs a corpus through this comparison and the `json` fuzz target
/// runs whatever libFuzzer makes of it. Both parsers must accept and refuse the same
/// documents and read the same values, except for the ``DeliberateDifference``s.
public enum JSONDifferential {
    /// Where CallBridge's reader is stricter or looser than Foundation's on purpose.
    public enum DeliberateDifference: String, Sendable, CaseIterable {
        /// A member name given twice in one object: refused (I-JSON, RFC 7493); Foundation
        /// keeps the last value.
        case repeatedMemberName
        /// Nesting deeper than ``JSONReader/maximumDepth``: refused; Foundation allows 512.
        case nestingBeyondLimit
        /// A UTF-8 byte order mark: refused (RFC 8259 8.1: senders must not add one);
        /// Foundation skips it.
        case byteOrderMark
        /// UTF-16 or UTF-32 text: refused (RFC 8259 8.1: JSON between systems is UTF-8);
        /// Foundation detects and decodes it.
        case notUTF8
        /// A comma before `]` or `}` (`[1,]`): refused (RFC 8259 has no trailing commas);
        /// Foundation on Linux accepts it.
        case trailingComma
        /// A U+FEFF written as is inside a string or member name: kept (it is text);
        /// Foundation drops some (at the start of a string, and after some other characters).
        case byteOrderMarkInString
        /// A number beyond `Double`'s range (`1e400`): read as an infinity, which every field
        /// reader then refuses as "not a number"; Foundation refuses the document.
        case numberBeyondDouble
    }

    /// What the comparison found.
    public enum Verdict: Sendable, Equatable {
        case bothAccepted
        case bothRefused
        case deliberate(DeliberateDifference)
        /// The parsers disagree where they should not: a defect in one of them.
        case mismatch(String)
    }

    /// Compares this reader's reading of `bytes` with `reference`'s, Foundation's unless
    /// another is given.
    public static func compare(
        _ bytes: UnsafeRawBufferPointer,
        reference: (UnsafeRawBufferPointer) throws -> Any = foundationReading
    ) -> Verdict {
        compare(bytes, foundation: Result { try reference(bytes) })
    }

    /// Foundation's reading: `JSONSerialization`, top-level scalars allowed (as RFC 8259 does).
    public static func foundationReading(_ bytes: UnsafeRawBufferPointer) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    private static func compare(_ bytes: UnsafeRawBufferPointer, foundation: Result<Any, any Error>) -> Verdict {
        let ours = Result { () throws(JSONSyntaxError) -> JSONValue in try JSONValue(parsing: bytes) }
        switch (ours, foundation) {
        case (.success(let value), .success(let object)):
            var deliberate: DeliberateDifference?
            if let difference = difference(value, object, at: "$", deliberate: &deliberate) {
                return .mismatch(difference)
            }
            return deliberate.map(Verdict.deliberate) ?? .bothAccepted
        case (.failure, .failure):
            return .bothRefused
        case (.success(let value), .failure(let error)):
            if value.containsNonFiniteNumber { return .deliberate(.numberBeyondDouble) }
            return .mismatch("accepted here, refused by Foundation: \(error)")
        case (.failure(let error), .success):
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return .deliberate(.byteOrderMark) }
            if looksLikeUTF16OrUTF32(bytes) { return .deliberate(.notUTF8) }
            if error.message.contains("appears more than once") { return .deliberate(.repeatedMemberName) }
            if error.message.hasPrefix("nesting deeper than") { return .deliberate(.nestingBeyondLimit) }
            if isTrailingComma(bytes, closingAt: error.offset) { return .deliberate(.trailingComma) }
            return .mismatch("refused here (\(error)), accepted by Foundation")
        }
    }

    /// RFC 8259's own test: JSON text starts with two ASCII characters, so a zero among the
    /// first four bytes, or a UTF-16 byte order mark, means another encoding.
    private static func looksLikeUTF16OrUTF32(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.prefix(4).contains(0)
    }

    /// Whether the error is at a `]` or `}` that follows a comma (whitespace aside).
    private static func isTrailingComma(_ bytes: UnsafeRawBufferPointer, closingAt offset: Int) -> Bool {
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "]") || bytes[offset] == UInt8(ascii: "}") else {
            return false
        }
        let before = bytes[..<offset].last { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return before == UInt8(ascii: ",")
    }

    /// Where `value` and Foundation's `object` differ, as a path (`$.a[2]`), or nil.
    private static func difference(
        _ value: JSONValue, _ object: Any, at path: String, deliberate: inout DeliberateDifference?
    ) -> String? {
        switch value {
        case .null:
            return object is NSNull ? nil : "\(path): null here, \(type(of: object)) in Foundation"
        case .bool(let bool):
            guard let number = object as? NSNumber, isBoolean(number) else {
                return "\(path): a boolean here, \(type(of: object)) in Foundation"
            }
            return number.boolValue == bool ? nil : "\(path): \(bool) here, \(number) in Foundation"
        case .number(let double):
            guard let number = object as? NSNumber, !isBoolean(number) else {
                return "\(path): a number here, \(type(of: object)) in Foundation"
            }
            let other = number.doubleValue
            // Foundation reads integers beyond 64 bits as NSDecimalNumber, whose conversion to
            // Double is not correctly rounded (a few units in the last place); ours is.
            let tolerance = number is NSDecimalNumber ? Swift.max(abs(double), abs(other)) * 1e-12 : 0
            return abs(double - other) <= tolerance ? nil : "\(path): \(double) here, \(other) in Foundation"
        case .string(let string):
            guard let other = object as? String else {
                return "\(path): a string here, \(type(of: object)) in Foundation"
            }
            if string.unicodeScalars.elementsEqual(other.unicodeScalars) { return nil }
            if droppingByteOrderMarks(string) == droppingByteOrderMarks(other) {
                deliberate = .byteOrderMarkInString
                return nil
            }
            return "\(path): \(string.debugDescription) here, \(other.debugDescription) in Foundation"
        case .array(let items):
            guard let others = object as? [Any], others.count == items.count else {
                return "\(path): \(items.count) items here, \(type(of: object)) in Foundation"
            }
            for (index, item) in items.enumerated() {
                if let difference = difference(item, others[index], at: "\(path)[\(index)]", deliberate: &deliberate) {
                    return difference
                }
            }
            return nil
        case .object(let members):
            // Where Foundation drops a U+FEFF, two of our names can become one of its.
            if Set(members.keys.map(droppingByteOrderMarks)).count < members.count, object is [String: Any] {
                deliberate = .byteOrderMarkInString
                return nil
            }
            guard let others = object as? [String: Any], others.count == members.count else {
                return "\(path): \(members.count) members here, \(type(of: object)) in Foundation"
            }
            for (name, member) in members {
                let other: Any
                if let found = others[name] {
                    other = found
                } else if let found = others.first(where: {
                    droppingByteOrderMarks($0.key) == droppingByteOrderMarks(name)
                })?.value {
                    deliberate = .byteOrderMarkInString
                    other = found
                } else {
                    return "\(path): member \(name.debugDescription) is not in Foundation's reading"
                }
                if let difference = difference(member, other, at: "\(path).\(name)", deliberate: &deliberate) {
                    return difference
                }
            }
            return nil
        }
    }

    private static func droppingByteOrderMarks(_ string: String) -> [Unicode.Scalar] {
        string.unicodeScalars.filter { $0 != "\u{FEFF}" }
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        type(of: number) == type(of: NSNumber(value: true))
    }
}

extension JSONValue {
    fileprivate var containsNonFiniteNumber: Bool {
        switch self {
        case .number(let number): !number.isFinite
        case .array(let items): items.contains { $0.containsNonFiniteNumber }
        case .object(let members): members.values.contains { $0.containsNonFiniteNumber }
        case .null, .bool, .string: false
        }
    }
}
