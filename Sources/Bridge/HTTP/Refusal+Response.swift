import CallEvents
import Hummingbird
import ServerSupport
import WireFormats

extension WebSocketUpgrade.Refusal {
    /// The refusal as JSON: `{"error":…}`, and for Engine.IO's errors also its `code` and
    /// `message` (what Engine.IO clients read).
    func response(headers: HTTPFields = [:]) -> Response {
        let status = HTTPResponse.Status(code: Int(status.code), reasonPhrase: status.reasonPhrase)
        guard let code = engineIOCode else { return JSONResponse.error(status, message, headers: headers) }
        var body = ByteBuffer()
        body.writeStaticString(#"{"code":"#)
        body.writeJSONInteger(code)
        body.writeStaticString(#","message":"#)
        body.writeJSONString(message)
        body.writeStaticString(#","error":"#)
        body.writeJSONString(message)
        body.writeStaticString("}")
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
