import CallEvents
import NIOCore
import WireFormats

/// A JSON document built in code with its members in the order written, rendered compact:
/// providers' bodies look like theirs, and a retry re-sends the very same bytes.
indirect enum JSONText: Sendable, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral,
    ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral
{
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    init(dictionaryLiteral elements: (String, JSONText)...) { self = .object(elements) }
    init(arrayLiteral elements: JSONText...) { self = .array(elements) }
    init(stringLiteral value: String) { self = .string(value) }
    init(stringInterpolation: DefaultStringInterpolation) {
        self = .string(String(stringInterpolation: stringInterpolation))
    }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(floatLiteral value: Double) { self = .number(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }

    /// `.string(value)`, or `.null` when there is none.
    static func optional(_ value: String?) -> JSONText {
        value.map(JSONText.string) ?? .null
    }

    /// This object with `members` added at the end (an object's members, in order).
    func adding(_ members: [(String, JSONText)]) -> JSONText {
        guard case .object(let existing) = self else { return self }
        return .object(existing + members)
    }

    var rendered: String { String(buffer: buffer) }

    var bytes: [UInt8] { Array(buffer.readableBytesView) }

    /// Rendered with the services' own JSON writing (CallEvents), so strings are escaped
    /// exactly as Ingest escapes its events.
    private var buffer: ByteBuffer {
        var output = ByteBuffer()
        render(into: &output)
        return output
    }

    private func render(into output: inout ByteBuffer) {
        switch self {
        case .string(let text): output.writeJSONString(text)
        case .integer(let value): output.writeJSONInteger(Int(value))
        case .number(let value):
            // Whole numbers without a fraction; others with the shortest exact digits.
            if value == value.rounded(), abs(value) < 1e15 {
                output.writeJSONInteger(Int(value))
            } else {
                output.writeString("\(value)")
            }
        case .bool(let value): output.writeString(value ? "true" : "false")
        case .null: output.writeString("null")
        case .array(let elements):
            output.writeString("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { output.writeString(",") }
                element.render(into: &output)
            }
            output.writeString("]")
        case .object(let members):
            output.writeString("{")
            for (index, member) in members.enumerated() {
                if index > 0 { output.writeString(",") }
                output.writeJSONString(member.0)
                output.writeString(":")
                member.1.render(into: &output)
            }
            output.writeString("}")
        }
    }
}
