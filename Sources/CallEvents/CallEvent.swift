import WireFormats

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A call lifecycle event as it travels on Kafka (`calls.lifecycle.v1`): a CloudEvents 1.0
/// envelope in structured mode around ``CallDetails``.
///
/// ```json
/// {"specversion":"1.0","id":"…","source":"callbridge/ingest/twilio","type":"call.ended",
///  "time":"2026-01-27T16:13:00.000Z","subject":"CA…","datacontenttype":"application/json",
///  "data":{"callId":"CA…","clientId":"acme","provider":"twilio",…}}
/// ```
///
/// The attributes that can only have one value in this contract are not stored, so an
/// event can never carry a wrong one: ``specversion`` is always `1.0`,
/// ``datacontenttype`` always `application/json`, and ``subject`` is always the call id
/// from ``data``.
///
/// Encode with ``encoded()`` or ``encode(into:)``; decode with ``decode(_:)``.
public struct CallEvent: Sendable, Hashable {
    /// The CloudEvents version this event follows.
    public static let specVersion = "1.0"
    /// The media type of ``data``.
    public static let dataContentType = "application/json"
    /// The media type of the whole encoded event, for the Kafka `content-type` header.
    public static let mediaType = "application/cloudevents+json"
    /// The prefix of ``source`` for events normalized by Ingest; the provider name follows.
    public static let ingestSourcePrefix = "callbridge/ingest/"

    /// Deterministic for a delivery (see ``EventIdentifier``), so consumers can drop duplicates.
    public var id: String
    /// Who produced the event, e.g. `callbridge/ingest/twilio`.
    public var source: String
    /// `call.started` or `call.ended`.
    public var type: CallEventType
    /// When the lifecycle change happened, rounded to the millisecond (see ``CallDetails``
    /// for why); encoded as UTC RFC 3339, e.g. `2026-01-27T16:13:00.000Z`.
    public var time: Date {
        didSet { time = RFC3339Timestamp.normalized(time) }
    }
    /// What is known about the call.
    public var data: CallDetails

    /// Always `"1.0"`.
    public var specversion: String { Self.specVersion }
    /// The call id (`data.callId`), so CloudEvents routers can filter by call without parsing `data`.
    public var subject: String { data.callId }
    /// Always `"application/json"`.
    public var datacontenttype: String { Self.dataContentType }

    /// Creates an event with every stored attribute given explicitly.
    public init(id: String, source: String, type: CallEventType, time: Date, data: CallDetails) {
        self.id = id
        self.source = source
        self.type = type
        self.time = RFC3339Timestamp.normalized(time)
        self.data = data
    }

    /// Creates the event Ingest publishes for a normalized webhook: ``source`` is
    /// `callbridge/ingest/<provider>` with the provider taken from `details`.
    ///
    /// - Parameters:
    ///   - type: started or ended.
    ///   - id: the delivery's id, from ``EventIdentifier``.
    ///   - time: when the lifecycle change happened.
    ///   - details: the call, with phone numbers already masked and hashed.
    public init(type: CallEventType, id: String, time: Date, details: CallDetails) {
        self.init(id: id, source: Self.ingestSourcePrefix + details.provider, type: type, time: time, data: details)
    }
}
