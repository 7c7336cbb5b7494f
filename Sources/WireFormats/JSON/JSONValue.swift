import NIOCore

/// A JSON document as a tree, with each value's type kept exactly (a boolean is never a
/// number, `1` is never `true`).
///
/// For documents whose shape the reader does not know in advance, such as provider webhook
/// bodies; events of our own schema are read field by field with ``JSONReader`` instead.
/// Parsing is as strict as ``JSONReader``: RFC 8259 syntax, valid UTF-8, one value and
/// nothing after it, nesting at most ``JSONReader/maximumDepth`` levels. A member name given
/// twice in one object is refused too (I-JSON, RFC 7493): which value the sender meant would
/// be a guess. Names are compared as Swift strings, so canonically equivalent spellings (a
/// precomposed and a decomposed `é`) are the same name, as they are for lookups.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses the readable bytes of `buffer` as one JSON document.
    public init(parsing buffer: ByteBuffer) throws(JSONSyntaxError) {
        self = try buffer.withUnsafeReadableBytes { bytes throws(JSONSyntaxError) in
            try JSONValue(parsing: bytes)
        }
    }

    /// Parses `bytes` as one JSON document.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        var reader = JSONReader(bytes)
        self = try Self.read(&reader, depth: 0)
        try reader.expectEnd()
    }

    /// The value's kind, for messages ("must be a string, not a number").
    public var kind: JSONValueKind {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    private static func read(_ reader: inout JSONReader, depth: Int) throws(JSONSyntaxError) -> JSONValue {
        switch try reader.peekKind() {
        case .string:
            return .string(try reader.readString())
        case .number:
            let token = try reader.readNumber()
            return .number(reader.doubleValue(of: token))
        case .boolean:
            return .bool(try reader.readBool())
        case .null:
            try reader.readNull()
            return .null
        case .object:
            guard depth < JSONReader.maximumDepth else {
                throw JSONSyntaxError(
                    message: "nesting deeper than \(JSONReader.maximumDepth) levels", offset: reader.offset)
            }
            try reader.beginObject()
            var fields: [String: JSONValue] = [:]
            // A webhook body has about ten top-level fields: room for them up front saves
            // the dictionary several regrowths on every request. Nested objects are smaller.
            fields.reserveCapacity(depth == 0 ? 16 : 4)
            var isFirst = true
            while let name = try reader.nextMemberName(isFirst: &isFirst) {
                let valueOffset = reader.offset
                // One hash lookup per member, as plain assignment: the old value says "repeated".
                if fields.updateValue(try read(&reader, depth: depth + 1), forKey: name) != nil {
                    throw JSONSyntaxError(
                        message: "member \(String(name.prefix(64)).debugDescription) appears more than once",
                        offset: valueOffset)
                }
            }
            return .object(fields)
        case .array:
            guard depth < JSONReader.maximumDepth else {
                throw JSONSyntaxError(
                    message: "nesting deeper than \(JSONReader.maximumDepth) levels", offset: reader.offset)
            }
            try reader.beginArray()
            var items: [JSONValue] = []
            var isFirst = true
            while try reader.nextElement(isFirst: &isFirst) {
                items.append(try read(&reader, depth: depth + 1))
            }
            return .array(items)
        }
    }
}
