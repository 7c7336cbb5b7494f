import CallEvents
import Foundation
import NIOCore

/// Shared sample events and helpers for the CallEvents tests.
enum Fixtures {
    /// 2026-01-27T16:13:00Z
    static let endedAt = Date(timeIntervalSince1970: 1_769_530_380)
    /// 2026-01-27T16:12:11Z
    static let startedAt = Date(timeIntervalSince1970: 1_769_530_331)

    static let fullDetails = CallDetails(
        callId: "CA5f2c",
        clientId: "acme",
        provider: "twilio",
        direction: "inbound",
        from: "***4321",
        to: "***1212",
        callerHash: "27b08515e0416378a5b86a83c20e27ab318111e95f5fb1fe42080a11095aa0de",
        startedAt: startedAt,
        endedAt: endedAt,
        durationSeconds: 49,
        endReason: "completed"
    )

    static let fullEvent = CallEvent(
        type: .ended,
        id: "13814428-b49f-893c-aa08-64488252fe67",
        time: endedAt,
        details: fullDetails
    )

    /// `fullEvent` as the contract writes it.
    static let fullEventJSON =
        #"{"specversion":"1.0","id":"13814428-b49f-893c-aa08-64488252fe67","source":"callbridge/ingest/twilio","type":"call.ended","time":"2026-01-27T16:13:00.000Z","subject":"CA5f2c","datacontenttype":"application/json","data":{"callId":"CA5f2c","clientId":"acme","provider":"twilio","direction":"inbound","from":"***4321","to":"***1212","callerHash":"27b08515e0416378a5b86a83c20e27ab318111e95f5fb1fe42080a11095aa0de","startedAt":"2026-01-27T16:12:11.000Z","endedAt":"2026-01-27T16:13:00.000Z","durationSeconds":49,"endReason":"completed"}}"#

    /// A started event with every optional field absent.
    static let minimalEvent = CallEvent(
        type: .started,
        id: "e1",
        time: startedAt,
        details: CallDetails(callId: "call-1", clientId: "acme", provider: "vapi")
    )

    static func string(_ event: CallEvent) -> String {
        String(buffer: event.encoded())
    }

    /// The encoded event parsed back by Foundation, as an independent JSON reader.
    static func foundationObject(_ event: CallEvent) throws -> [String: Any] {
        let data = Data(event.encoded().readableBytesView)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The `time` attribute written for `date`.
    static func encodedTime(_ date: Date) throws -> String {
        let event = CallEvent(
            type: .started, id: "t", time: date, details: CallDetails(callId: "c", clientId: "k", provider: "p"))
        return try foundationObject(event)["time"] as? String ?? "<missing>"
    }

    /// A document like `fullEventJSON` with `replacement` applied to its text.
    static func document(replacing target: String, with replacement: String) -> String {
        precondition(fullEventJSON.contains(target), "fixture does not contain \(target)")
        return fullEventJSON.replacingOccurrences(of: target, with: replacement)
    }
}
