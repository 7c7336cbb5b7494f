import Foundation
import NIOCore

/// Parses a webhook body straight from its bytes into `JSONValue`.
///
/// Replaces `JSONDecoder` + `Data` on the hot path (15 % of Ingest's CPU per webhook in the
/// profile). Strict about structure (depth-limited, one value, nothing after it); strings
/// without escapes are decoded in place, the rare escaped string falls back to Foundation.
struct WebhookJSONParser {
    /// The body is not JSON; callers turn this into a 400 with their own message.
    struct Failure: Error {}
    let bytes: UnsafeRawBufferPointer
    var i = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func parse(_ buffer: ByteBuffer) throws -> JSONValue {
        try buffer.withUnsafeReadableBytes { raw in
            var parser = WebhookJSONParser(raw)
            let value = try parser.value(depth: 0)
            parser.skip()
            guard parser.i == raw.count else { throw Failure() }
            return value
        }
    }

    mutating func skip() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw Failure() }
        skip()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var fields: [String: JSONValue] = [:]
            // A webhook body has about ten top-level fields: room for them up front saves
            // the dictionary four regrowths on every request. Nested objects are smaller.
            fields.reserveCapacity(depth == 0 ? 16 : 4)
            skip()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skip()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
                let key = try string()
                skip()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
                i += 1
                fields[key] = try value(depth: depth + 1)
                skip()
                guard i < bytes.count else { throw Failure() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                throw Failure()
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skip()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skip()
                guard i < bytes.count else { throw Failure() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw Failure()
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw Failure() }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw Failure() }
        i += n
    }

    mutating func number() throws -> Double {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count, (bytes[i] >= 0x30 && bytes[i] <= 0x39) || bytes[i] == UInt8(ascii: ".")
            || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") || bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i > start, let d = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) else { throw Failure() }
        return d
    }

    mutating func string() throws -> String {
        i += 1 // opening quote
        let start = i
        var simple = true
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                if simple {
                    let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                break
            }
            if b == UInt8(ascii: "\\") { simple = false; i += 2; continue }
            if b < 0x20 { throw Failure() }
            i += 1
        }
        // Escapes: decode with Foundation (rare in webhooks).
        i = start - 1
        var end = start
        while end < bytes.count {
            if bytes[end] == UInt8(ascii: "\\") { end += 2; continue }
            if bytes[end] == UInt8(ascii: "\"") { break }
            end += 1
        }
        guard end < bytes.count else { throw Failure() }
        let quoted = Data(UnsafeRawBufferPointer(rebasing: bytes[(start - 1)...end]))
        guard let s = try? JSONDecoder().decode(String.self, from: quoted) else { throw Failure() }
        i = end + 1
        return s
    }
}
