import CallEvents
import Foundation
import NIOCore
import WireFormats

/// A JSON object of a webhook body, with the dotted path it sits at (for messages such as
/// `message.call.id must be a string, not a number`).
///
/// Accessors return nil for an absent key or a JSON `null`, and throw
/// ``WebhookRejection/malformed(_:)`` for a value of the wrong type.
struct JSONObject: Sendable {
    let fields: [String: JSONValue]
    /// Where this object sits in the body (`""` for the top level).
    let path: String

    /// Parses a whole body, which must be a JSON object.
    static func parse(_ body: ByteBuffer, provider: String) throws(WebhookRejection) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw .malformed("body is not valid JSON (\(provider) sends a JSON object): \(error)")
        }
        guard case .object(let fields) = value else {
            throw .malformed("body is \(value.kind.phrase), not the JSON object \(provider) sends")
        }
        return JSONObject(fields: fields, path: "")
    }

    /// The dotted path of `key` inside this object.
    func path(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The raw value, nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        switch fields[key] {
        case nil, .null?: nil
        case let value?: value
        }
    }

    func object(_ key: String) throws(WebhookRejection) -> JSONObject? {
        guard let value = value(key) else { return nil }
        guard case .object(let fields) = value else { throw wrongType(key, value, expected: "an object") }
        return JSONObject(fields: fields, path: path(key))
    }

    /// The object at `key`, or nil when it is absent or not an object (for free-form areas
    /// such as metadata, where a sender's odd shape must not fail the delivery).
    func lenientObject(_ key: String) -> JSONObject? {
        guard case .object(let fields)? = value(key) else { return nil }
        return JSONObject(fields: fields, path: path(key))
    }

    func string(_ key: String) throws(WebhookRejection) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, value, expected: "a string") }
        return text
    }

    /// A string with surrounding whitespace removed; nil when absent, null or blank.
    func nonEmptyString(_ key: String) throws(WebhookRejection) -> String? {
        guard let text = try string(key)?.trimmedWhitespaceAndNewlines(), !text.isEmpty else { return nil }
        return text
    }

    func number(_ key: String) throws(WebhookRejection) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            throw wrongType(key, value, expected: "a number")
        }
        return number
    }

    /// A non-negative number of seconds rounded half up to whole seconds.
    func durationSeconds(_ key: String) throws(WebhookRejection) -> Int? {
        guard let seconds = try number(key) else { return nil }
        guard seconds >= 0, seconds < 1e12 else {
            throw .malformed("\(path(key)) must be a non-negative number of seconds, not \(seconds)")
        }
        return CallTiming.wholeSeconds(milliseconds: seconds * 1000)
    }

    /// A non-negative number of milliseconds rounded half up to whole seconds.
    func durationFromMilliseconds(_ key: String) throws(WebhookRejection) -> Int? {
        guard let milliseconds = try number(key) else { return nil }
        guard milliseconds >= 0, milliseconds < 1e15 else {
            throw .malformed("\(path(key)) must be a non-negative number of milliseconds, not \(milliseconds)")
        }
        return CallTiming.wholeSeconds(milliseconds: milliseconds)
    }

    /// How a number is read as a point in time.
    enum EpochUnit {
        case seconds
        case milliseconds
        /// Milliseconds when the value is at least 10^11 (a date in 1973 in milliseconds,
        /// the year 5138 in seconds), seconds otherwise.
        case automatic
    }

    /// A point in time given as an ISO 8601 string or, when `numbers` is not nil, a unix epoch number.
    func date(_ key: String, numbers unit: EpochUnit?) throws(WebhookRejection) -> Date? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let text):
            guard let date = ISO8601DateTime.parse(text) else {
                throw .malformed(
                    "\(path(key)) is not an ISO 8601 date-time: \(String(text.prefix(64)).debugDescription)")
            }
            return date
        case .number(let number) where unit != nil && number.isFinite:
            let seconds: Double
            switch unit! {
            case .seconds: seconds = number
            case .milliseconds: seconds = number / 1000
            case .automatic: seconds = abs(number) >= 1e11 ? number / 1000 : number
            }
            guard abs(seconds) < 1e11 else { throw .malformed("\(path(key)) is out of range: \(number)") }
            return Date(timeIntervalSince1970: seconds)
        default:
            throw wrongType(key, value, expected: unit == nil ? "an ISO 8601 string" : "an ISO 8601 string or a number")
        }
    }

    /// An epoch-milliseconds number (Retell's timestamps).
    func epochMilliseconds(_ key: String) throws(WebhookRejection) -> Date? {
        guard let milliseconds = try number(key) else { return nil }
        guard abs(milliseconds) < 1e14 else { throw .malformed("\(path(key)) is out of range: \(milliseconds)") }
        return Date(timeIntervalSince1970: milliseconds / 1000)
    }

    private func wrongType(_ key: String, _ value: JSONValue, expected: String) -> WebhookRejection {
        .malformed("\(path(key)) must be \(expected), not \(value.kind.phrase)")
    }
}
