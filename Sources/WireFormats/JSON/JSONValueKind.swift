/// The kinds of JSON value, named for error messages ("expected a string, found a number").
public enum JSONValueKind: Sendable {
    case string, number, object, array, boolean, null

    /// The kind a value starting with `byte` has, or nil if no JSON value starts with it.
    @inlinable
    public init?(firstByte byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self = .string
        case UInt8(ascii: "{"): self = .object
        case UInt8(ascii: "["): self = .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): self = .boolean
        case UInt8(ascii: "n"): self = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): self = .number
        default: return nil
        }
    }

    /// How the kind is named in messages: "a string", "an object", "null".
    public var phrase: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .object: "an object"
        case .array: "an array"
        case .boolean: "a boolean"
        case .null: "null"
        }
    }
}
