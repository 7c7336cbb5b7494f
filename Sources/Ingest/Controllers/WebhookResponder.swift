import Hummingbird

/// The application's responder: `POST /webhooks/{provider}` for a provider Ingest knows goes
/// straight to the webhook controller; every other request goes to the router.
///
/// The router resolves each path by walking its trie and collecting the `:provider`
/// parameter, a cost seen in Ingest's profile (docs/benchmarks.md), to reach the one route
/// that nearly all traffic takes. The shortcut only takes exact paths that the router
/// would resolve to that same route and parameter; anything else (an unknown provider,
/// another method, a trailing slash) is left to the router and answered as before.
struct WebhookResponder<Context: RequestContext>: HTTPResponder {
    let webhooks: WebhookController<Context>
    let router: RouterResponder<Context>

    static var pathPrefix: String { "/webhooks/" }

    func respond(to request: Request, context: Context) async throws -> Response {
        if request.method == .post, let provider = Self.knownProvider(inPath: request.uri.path) {
            return await webhooks.receive(request, provider: provider, context: context)
        }
        return try await router.respond(to: request, context: context)
    }

    /// The provider name when `path` is exactly `/webhooks/{known provider}`, byte for byte
    /// (no decoding, no Unicode equivalence: whatever the router might read differently
    /// goes to the router).
    static func knownProvider(inPath path: String) -> String? {
        let bytes = path.utf8
        guard bytes.starts(with: pathPrefix.utf8) else { return nil }
        let name = bytes.dropFirst(pathPrefix.utf8.count)
        return WebhookProviders.names.first { $0.utf8.elementsEqual(name) }
    }
}
