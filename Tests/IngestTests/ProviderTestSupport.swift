import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import Ingest

/// A delivery as the controller would hand it to a provider.
func makeRequest(
    uri: String = "/webhooks/test",
    headers: [(String, String)] = [],
    body: String,
    receivedAt: Date = Date(timeIntervalSince1970: 1_700_000_000)
) -> WebhookRequest {
    makeRequest(uri: uri, headers: headers, bytes: Array(body.utf8), receivedAt: receivedAt)
}

func makeRequest(
    uri: String = "/webhooks/test",
    headers: [(String, String)] = [],
    bytes: [UInt8],
    receivedAt: Date = Date(timeIntervalSince1970: 1_700_000_000)
) -> WebhookRequest {
    var fields = HTTPFields()
    for (name, value) in headers {
        fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
    }
    return WebhookRequest(uri: uri, headers: fields, body: ByteBuffer(bytes: bytes), receivedAt: receivedAt)
}

/// The rejection `operation` throws, or nil (recorded as a failure) when it does not throw.
func rejection<T>(
    _ operation: () throws -> T,
    sourceLocation: SourceLocation = #_sourceLocation
) -> WebhookRejection? {
    do {
        _ = try operation()
        Issue.record("expected a rejection, got none", sourceLocation: sourceLocation)
        return nil
    } catch let error as WebhookRejection {
        return error
    } catch {
        Issue.record("expected a WebhookRejection, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects `operation` to be refused with `status` and a message containing every fragment.
func expectRejected<T>(
    _ status: HTTPResponse.Status,
    _ fragments: String...,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ operation: () throws -> T
) {
    guard let error = rejection(operation, sourceLocation: sourceLocation) else { return }
    #expect(error.status == status, "\(error.message)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(
            error.message.contains(fragment),
            "message \(error.message.debugDescription) lacks \(fragment.debugDescription)",
            sourceLocation: sourceLocation)
    }
    let expectsDeadLetter = status == .badRequest || status == .unprocessableContent
    #expect(error.deadLetter == expectsDeadLetter, sourceLocation: sourceLocation)
}

/// The call of an outcome, or a thrown failure when it was ignored.
func expectCall(_ outcome: WebhookOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> NormalizedCall {
    guard case .call(let call) = outcome else {
        Issue.record("expected a call, got \(outcome)", sourceLocation: sourceLocation)
        throw OutcomeMismatch()
    }
    return call
}

/// The reason of an ignored outcome, or nil (recorded as a failure) for a call.
func ignoredReason(_ outcome: WebhookOutcome, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    guard case .ignored(let reason) = outcome else {
        Issue.record("expected ignored, got \(outcome)", sourceLocation: sourceLocation)
        return nil
    }
    return reason
}

struct OutcomeMismatch: Error {}

/// `2026-01-27T16:13:00Z` and friends, for exact expectations.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Double) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let whole = Int(second.rounded(.down))
    let date = calendar.date(
        from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: whole))!
    return date.addingTimeInterval(second - Double(whole))
}
