import NIOCore
import WireFormats

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CallEvent {
    /// Decodes an event from CloudEvents structured-mode JSON (a Kafka record value).
    ///
    /// Accepted beyond what ``encode(into:)`` writes, so that events from other producers
    /// and future versions still decode:
    /// - members in any order, with any whitespace;
    /// - unknown members, at the top level and in `data`, are ignored (CloudEvents
    ///   extension attributes, fields added later);
    /// - optional members (`subject`, `datacontenttype`, and every `data` field other
    ///   than `callId`, `clientId`, `provider`) may be absent or `null`;
    /// - times in any RFC 3339 form: with or without fractional seconds (rounded to the
    ///   millisecond), `Z` or an offset such as `+02:00`;
    /// - `durationSeconds` written as `49` or `49.0`.
    ///
    /// Rejected, with a ``CallEventDecodingError`` naming the field: bytes that are not
    /// JSON (including invalid UTF-8 and nesting deeper than 64 levels), a document that is not an
    /// object, a missing or `null` required member (`specversion`, `id`, `source`, `type`,
    /// `time`, `data`, `data.callId`, `data.clientId`, `data.provider`), a member of the
    /// wrong JSON type, an empty `id`/`source`/`callId`/`clientId`/`provider`, a `clientId`
    /// that is not a ``ClientID`` (it could name no room), a `specversion` other than `1.0`,
    /// an unknown `type`, a time that is not RFC 3339, a `datacontenttype` other than
    /// `application/json`, a `subject` that differs from `data.callId`, and a known member
    /// given twice. When the bytes are not JSON, that is what is reported, even if a field
    /// error comes earlier in the text.
    public static func decode(_ buffer: ByteBuffer) throws(CallEventDecodingError) -> CallEvent {
        try buffer.withUnsafeReadableBytes { decodeResult($0) }.get()
    }

    /// Decodes an event from JSON bytes such as a `[UInt8]`, `Data` or `String.UTF8View`.
    ///
    /// Same rules as the `ByteBuffer` variant.
    public static func decode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(CallEventDecodingError) -> CallEvent {
        if let result = bytes.withContiguousStorageIfAvailable({ decodeResult(UnsafeRawBufferPointer($0)) }) {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBytes { decodeResult($0) }.get()
    }

    private static func decodeResult(_ bytes: UnsafeRawBufferPointer) -> Result<CallEvent, CallEventDecodingError> {
        var decoder = EventDecoder(reader: JSONReader(bytes))
        do throws(JSONSyntaxError) {
            try decoder.readDocument()
        } catch {
            let detail = bytes.isEmpty ? "the input is empty" : "\(error.message) at byte \(error.offset)"
            return .failure(CallEventDecodingError(field: nil, reason: .notJSON(detail)))
        }
        return decoder.makeEvent()
    }
}

/// The members the decoder knows, each with its JSON path and a bit for duplicate detection.
private enum Member: Int {
    case specversion, id, source, type, time, subject, datacontenttype, data
    case callId, clientId, provider, direction, from, to, callerHash, startedAt, endedAt, durationSeconds, endReason

    var path: String {
        switch self {
        case .specversion: "specversion"
        case .id: "id"
        case .source: "source"
        case .type: "type"
        case .time: "time"
        case .subject: "subject"
        case .datacontenttype: "datacontenttype"
        case .data: "data"
        case .callId: "data.callId"
        case .clientId: "data.clientId"
        case .provider: "data.provider"
        case .direction: "data.direction"
        case .from: "data.from"
        case .to: "data.to"
        case .callerHash: "data.callerHash"
        case .startedAt: "data.startedAt"
        case .endedAt: "data.endedAt"
        case .durationSeconds: "data.durationSeconds"
        case .endReason: "data.endReason"
        }
    }
}

/// Pulls the known members out of the JSON in one pass, then validates them.
///
/// Field problems found while reading (a wrong type, a duplicate) are only *recorded*
/// and the value is skipped, so that reading goes on to the end and a syntax error
/// anywhere in the document wins: "not JSON" is the more fundamental answer.
private struct EventDecoder {
    var reader: JSONReader
    private var problem: CallEventDecodingError?
    private var seen: UInt32 = 0

    private var specversion: String?
    private var id: String?
    private var source: String?
    private var type: String?
    private var time: String?
    private var subject: String?
    private var datacontenttype: String?
    private var hasData = false
    private var callId: String?
    private var clientId: String?
    private var provider: String?
    private var direction: String?
    private var from: String?
    private var to: String?
    private var callerHash: String?
    private var startedAt: String?
    private var endedAt: String?
    private var durationSeconds: Int?
    private var endReason: String?

    init(reader: JSONReader) {
        self.reader = reader
    }

    private mutating func record(_ member: Member?, _ reason: CallEventDecodingError.Reason) {
        if problem == nil {
            problem = CallEventDecodingError(field: member?.path, reason: reason)
        }
    }

    /// Notes that `member` was read; a second time is recorded as a duplicate.
    private mutating func markSeen(_ member: Member) {
        let bit: UInt32 = 1 << UInt32(member.rawValue)
        if seen & bit != 0 {
            record(member, .duplicateField)
        }
        seen |= bit
    }

    // MARK: Reading

    mutating func readDocument() throws(JSONSyntaxError) {
        let kind = try reader.peekKind()
        guard kind == .object else {
            try reader.skipValue(depth: 0)
            try reader.expectEnd()
            record(nil, .wrongType(expected: "an object", found: kind.phrase))
            return
        }
        try reader.beginObject()
        var isFirst = true
        while let name = try reader.nextMemberName(isFirst: &isFirst) {
            switch name {
            case "specversion": specversion = try readString(.specversion, nullable: false)
            case "id": id = try readString(.id, nullable: false)
            case "source": source = try readString(.source, nullable: false)
            case "type": type = try readString(.type, nullable: false)
            case "time": time = try readString(.time, nullable: false)
            // CloudEvents treats a null optional attribute as absent.
            case "subject": subject = try readString(.subject, nullable: true)
            case "datacontenttype": datacontenttype = try readString(.datacontenttype, nullable: true)
            case "data": try readData()
            default: try reader.skipValue(depth: 1)
            }
        }
        try reader.expectEnd()
    }

    private mutating func readData() throws(JSONSyntaxError) {
        markSeen(.data)
        let kind = try reader.peekKind()
        guard kind == .object else {
            record(.data, .wrongType(expected: "an object", found: kind.phrase))
            try reader.skipValue(depth: 1)
            return
        }
        hasData = true
        try reader.beginObject()
        var isFirst = true
        while let name = try reader.nextMemberName(isFirst: &isFirst) {
            switch name {
            case "callId": callId = try readString(.callId, nullable: false)
            case "clientId": clientId = try readString(.clientId, nullable: false)
            case "provider": provider = try readString(.provider, nullable: false)
            case "direction": direction = try readString(.direction, nullable: true)
            case "from": from = try readString(.from, nullable: true)
            case "to": to = try readString(.to, nullable: true)
            case "callerHash": callerHash = try readString(.callerHash, nullable: true)
            case "startedAt": startedAt = try readString(.startedAt, nullable: true)
            case "endedAt": endedAt = try readString(.endedAt, nullable: true)
            case "durationSeconds": durationSeconds = try readWholeNumber(.durationSeconds)
            case "endReason": endReason = try readString(.endReason, nullable: true)
            default: try reader.skipValue(depth: 2)
            }
        }
    }

    private func depth(of member: Member) -> Int {
        member.rawValue > Member.data.rawValue ? 2 : 1
    }

    /// A string member; nil when it is `null` (and allowed to be) or of the wrong type (recorded).
    private mutating func readString(_ member: Member, nullable: Bool) throws(JSONSyntaxError) -> String? {
        markSeen(member)
        let kind = try reader.peekKind()
        switch kind {
        case .string:
            return try reader.readString()
        case .null where nullable:
            try reader.readNull()
            return nil
        default:
            record(member, .wrongType(expected: "a string", found: kind.phrase))
            try reader.skipValue(depth: depth(of: member))
            return nil
        }
    }

    /// An optional whole-number member.
    private mutating func readWholeNumber(_ member: Member) throws(JSONSyntaxError) -> Int? {
        markSeen(member)
        let kind = try reader.peekKind()
        switch kind {
        case .number:
            let token = try reader.readNumber()
            guard !token.hasNonIntegralPart else {
                record(
                    member, .wrongType(expected: "a whole number", found: "a number with a fractional part or exponent")
                )
                return nil
            }
            guard let value = reader.integerValue(of: token) else {
                record(member, .integerOutOfRange)
                return nil
            }
            return value
        case .null:
            try reader.readNull()
            return nil
        default:
            record(member, .wrongType(expected: "a whole number", found: kind.phrase))
            try reader.skipValue(depth: depth(of: member))
            return nil
        }
    }

    // MARK: Validating

    /// The event, or the first problem with it. Only called once the JSON is known to be well-formed.
    func makeEvent() -> Result<CallEvent, CallEventDecodingError> {
        if let problem { return .failure(problem) }
        func fail(
            _ member: Member, _ reason: CallEventDecodingError.Reason
        ) -> Result<CallEvent, CallEventDecodingError> {
            .failure(CallEventDecodingError(field: member.path, reason: reason))
        }

        guard let specversion else { return fail(.specversion, .missingField) }
        guard specversion == CallEvent.specVersion else {
            return fail(.specversion, .unsupportedSpecVersion(specversion))
        }
        guard let id else { return fail(.id, .missingField) }
        guard !id.isEmpty else { return fail(.id, .emptyValue) }
        guard let source else { return fail(.source, .missingField) }
        guard !source.isEmpty else { return fail(.source, .emptyValue) }
        guard let type else { return fail(.type, .missingField) }
        guard let eventType = CallEventType(rawValue: type) else { return fail(.type, .unknownEventType(type)) }
        guard let time else { return fail(.time, .missingField) }
        guard let eventTime = RFC3339Timestamp.parse(time) else { return fail(.time, .invalidTimestamp(time)) }
        if let datacontenttype, !Self.isJSONMediaType(datacontenttype) {
            return fail(.datacontenttype, .unsupportedContentType(datacontenttype))
        }

        guard hasData else { return fail(.data, .missingField) }
        guard let callId else { return fail(.callId, .missingField) }
        guard !callId.isEmpty else { return fail(.callId, .emptyValue) }
        guard let clientId else { return fail(.clientId, .missingField) }
        guard !clientId.isEmpty else { return fail(.clientId, .emptyValue) }
        guard ClientID.isValid(clientId) else { return fail(.clientId, .invalidClientID) }
        guard let provider else { return fail(.provider, .missingField) }
        guard !provider.isEmpty else { return fail(.provider, .emptyValue) }
        if let subject, subject != callId { return fail(.subject, .subjectMismatch) }

        var started: Date?
        if let startedAt {
            guard let date = RFC3339Timestamp.parse(startedAt) else {
                return fail(.startedAt, .invalidTimestamp(startedAt))
            }
            started = date
        }
        var ended: Date?
        if let endedAt {
            guard let date = RFC3339Timestamp.parse(endedAt) else { return fail(.endedAt, .invalidTimestamp(endedAt)) }
            ended = date
        }

        let details = CallDetails(
            callId: callId,
            clientId: clientId,
            provider: provider,
            direction: direction,
            from: from,
            to: to,
            callerHash: callerHash,
            startedAt: started,
            endedAt: ended,
            durationSeconds: durationSeconds,
            endReason: endReason
        )
        return .success(CallEvent(id: id, source: source, type: eventType, time: eventTime, data: details))
    }

    /// `application/json`, in any letter case and with or without parameters such as
    /// `; charset=utf-8`.
    private static func isJSONMediaType(_ value: String) -> Bool {
        var essence = value.prefix { $0 != ";" }
        while essence.first == " " || essence.first == "\t" { essence.removeFirst() }
        while essence.last == " " || essence.last == "\t" { essence.removeLast() }
        return essence.lowercased() == "application/json"
    }
}
