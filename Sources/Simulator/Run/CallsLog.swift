import Foundation
import Settings

/// `--calls-log`: one JSON line per call once it is over, to check a run end to end (which
/// calls were made, which events Ingest acknowledged, with which ids). It holds the fake
/// phone numbers, never a secret.
final class CallsLog {
    private let handle: FileHandle

    /// - Throws: ``ConfigurationError`` when the file cannot be created (a bad `--calls-log`).
    init(path: String) throws(ConfigurationError) {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ConfigurationError("--calls-log: cannot create \(path)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ConfigurationError("--calls-log: cannot open \(path) for writing")
        }
        self.handle = handle
    }

    func write(_ record: CallRecord) {
        let call = record.call
        let talkSeconds: JSONText =
            call.talkSeconds.map { JSONText.number(($0 * 1000).rounded() / 1000) } ?? JSONText.null
        let stages: [JSONText] = call.plan.map { JSONText.string($0.stage.rawValue) }
        let expected: [JSONText] = call.expectedEvents.map { JSONText.string($0) }
        let eventIds: [(String, JSONText)] = record.eventIds.sorted { $0.key < $1.key }.map {
            ($0.key, JSONText.string($0.value))
        }
        let line: JSONText = [
            "callId": .string(call.callId),
            "provider": .string(call.provider.rawValue),
            "clientId": .string(call.clientId),
            "direction": .string(call.direction.rawValue),
            "from": .string(call.from),
            "to": .string(call.to),
            "answered": .bool(call.answered),
            "endReason": .string(call.endReason),
            "talkSeconds": talkSeconds,
            "stages": .array(stages),
            "expectedEvents": .array(expected),
            "eventIds": .object(eventIds),
            "abandoned": .bool(record.abandoned),
        ]
        handle.write(Data((line.rendered + "\n").utf8))
    }

    func close() {
        try? handle.close()
    }
}
