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

    @Test("only exact /webhooks/{known provider} paths take the shortcut past the router")
    func shortcutPaths() {
        for name in WebhookProviders.names {
            #expect(WebhookResponder<BasicRequestContext>.knownProvider(inPath: "/webhooks/\(name)") == name)
        }
        for path in [
            "/webhooks/", "/webhooks/unknown", "/webhooks/generic/", "/webhooks/Generic", "/webhooks/gen%65ric",
            "//webhooks/generic", "/webhooks/generic/x", "/webhook/generic", "/healthz", "", "/webhooks/generic\u{301}",
        ] {
            #expect(WebhookResponder<BasicRequestContext>.knownProvider(inPath: path) == nil, "\(path)")
        }
    }
}
