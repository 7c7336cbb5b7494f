import Foundation
import Hummingbird

/// Small JSON responses of both services, always with a human-readable `error` on failure
/// (the contract's shape: `{"error":"…"}`).
public enum JSONResponse {
    public static func make(
        _ status: HTTPResponse.Status, _ fields: [String: String], headers extra: HTTPFields = [:]
    ) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        make(status, ["error": message], headers: headers)
    }

    /// `{"eventId":"…"}`: the hot path, written without a serializer (ids are UUID text).
    public static func accepted(eventId: String) -> Response {
        // Sized up front: an empty `ByteBuffer()` would be reallocated as it grows.
        var buffer = ByteBufferAllocator().buffer(capacity: 14 + eventId.utf8.count)
        buffer.writeStaticString("{\"eventId\":\"")
        buffer.writeString(eventId)
        buffer.writeStaticString("\"}")
        return Response(
            status: .accepted, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }
}
