import Hummingbird
import Testing

@testable import Ingest

@Suite("Webhook controller helpers")
struct WebhookControllerTests {
    @Test(
        "the media type is the part before any parameters, trimmed and lowercased",
        arguments: [
            ("application/json", "application/json"),
            ("application/json; charset=utf-8", "application/json"),
            (" Application/JSON ;charset=utf-8", "application/json"),
            ("\tapplication/x-www-form-urlencoded\t", "application/x-www-form-urlencoded"),
            ("TEXT/PLAIN", "text/plain"),
            ("", ""),
            (";", ""),
            ("application/jsön", "application/jsön"),
        ]
    )
    func mediaType(contentType: String, expected: String) {
        #expect(WebhookController<BasicRequestContext>.mediaType(contentType) == expected)
    }
}
