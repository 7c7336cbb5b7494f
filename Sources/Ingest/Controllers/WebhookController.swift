import Foundation
import Hummingbird
import KafkaClient
import Logging
import Metrics
import NIOCore
import ServerSupport
import WireFormats

/// `POST /webhooks/{provider}`: checks, verifies, normalizes and publishes a webhook, and
/// answers only once Kafka has acknowledged the event.
///
/// Order of checks: known and enabled provider (404), declared size (413), content type
/// (415), body size while reading (413), authenticity (401), then parsing (400/422,
/// dead-lettered). Nothing is published for any 4xx.
struct WebhookController<Context: RequestContext>: Sendable {
    /// The enabled providers by name (a provider without its secret is absent).
    let providers: [String: any WebhookProvider]
    let publisher: CallEventPublisher
    let metrics: IngestMetrics
    let maxBodyBytes: Int
    /// Seconds a provider is asked to wait before retrying after a 503.
    let retryAfterSeconds: Int

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post(":provider", use: receive)
        return routes
    }

    @Sendable func receive(_ request: Request, context: Context) async -> Response {
        await receive(request, provider: context.parameters.get("provider") ?? "", context: context)
    }

    /// `receive` for a provider name already taken from the path (see ``WebhookResponder``).
    func receive(_ request: Request, provider name: String, context: Context) async -> Response {
        let known = WebhookProviders.names.contains(name)
        let response = await handle(request, provider: name, logger: context.logger)
        metrics.recordRequest(provider: known ? name : "unknown", status: Int(response.status.code))
        return response
    }

    private func handle(_ request: Request, provider name: String, logger: Logger) async -> Response {
        guard WebhookProviders.names.contains(name) else {
            return JSONResponse.error(
                .notFound,
                "unknown provider '\(name.prefix(64))'; expected one of \(WebhookProviders.names.joined(separator: ", "))"
            )
        }
        guard let provider = providers[name] else {
            return JSONResponse.error(.notFound, "provider '\(name)' is disabled: its secret is not configured")
        }
        // Metadata goes with each log call, not into the logger: setting logger metadata
        // re-renders the handler's metadata string on every request, logged or not.
        if let declared = request.headers.value(of: .contentLength).flatMap(Int.init), declared > maxBodyBytes {
            return reject(
                provider: name,
                .init(
                    status: .contentTooLarge, message: "body of \(declared) bytes is over the limit of \(maxBodyBytes)",
                    deadLetter: false), logger: logger)
        }
        let mediaType = request.headers.value(of: .contentType).map(Self.mediaType) ?? ""
        guard provider.acceptedContentTypes.contains(mediaType) else {
            let accepted = provider.acceptedContentTypes.sorted().joined(separator: " or ")
            let given = mediaType.isEmpty ? "no content type" : "content type '\(mediaType.prefix(100))'"
            return reject(
                provider: name, .unsupportedMediaType("\(given) is not accepted; \(name) webhooks are \(accepted)"),
                logger: logger)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return reject(
                provider: name,
                .init(
                    status: .contentTooLarge, message: "body is over the limit of \(maxBodyBytes) bytes",
                    deadLetter: false), logger: logger)
        } catch let error as ConnectionGuard.RequestTimedOut {
            // The guard has answered 408 and closes; this answer is for the log and metrics.
            return reject(
                provider: name, .init(status: .requestTimeout, message: "\(error)", deadLetter: false), logger: logger)
        } catch {
            // A malformed body (e.g. a bad chunk size): the connection guard has already
            // answered it and closes the connection; this answer is for the log and metrics.
            return reject(
                provider: name,
                .init(status: .badRequest, message: "the body could not be read: \(error)", deadLetter: false),
                logger: logger)
        }

        let delivery = WebhookRequest(
            uri: request.uri.description, headers: request.headers, body: body, receivedAt: Date())
        let outcome: WebhookOutcome
        do {
            outcome = try provider.accept(delivery)
        } catch {
            if error.deadLetter {
                await deadLetter(provider: name, delivery: delivery, reason: error.message, logger: logger)
            }
            return reject(provider: name, error, logger: logger)
        }

        switch outcome {
        case .ignored(let reason):
            logger.debug("ignored webhook", metadata: ["provider": "\(name)", "reason": "\(reason)"])
            return JSONResponse.make(.ok, ["status": "ignored", "reason": reason])
        case .call(let call):
            let event = publisher.makeEvent(provider: name, call: call, delivery: body)
            // The log metadata is built inside the log calls, which evaluate it only when
            // the level is enabled: building it up front cost every webhook a dictionary
            // and three strings, for a debug line that is normally off.
            func ids() -> Logger.Metadata {
                ["provider": "\(name)", "callId": "\(call.callId)", "eventId": "\(event.id)"]
            }
            let started = ContinuousClock.now
            do {
                let delivery = try await publisher.publish(event)
                metrics.publishDuration.recordDuration(since: started)
                logger.debug(
                    "published",
                    metadata: ids().merging([
                        "type": "\(event.type.rawValue)", "partition": "\(delivery.partition)",
                        "offset": "\(delivery.offset)",
                    ]) { $1 })
                return JSONResponse.accepted(eventId: event.id)
            } catch {
                let kafkaError = error as? KafkaError
                if let kafkaError { metrics.recordKafkaError(kafkaError) }
                logger.warning(
                    "kafka did not acknowledge; answering 503", metadata: ids().merging(["error": "\(error)"]) { $1 })
                return JSONResponse.error(
                    .serviceUnavailable,
                    "Kafka did not acknowledge the event in time; nothing was lost, retry later",
                    headers: [.retryAfter: String(retryAfterSeconds)]
                )
            }
        }
    }

    private func reject(provider: String, _ rejection: WebhookRejection, logger: Logger) -> Response {
        logger.info(
            "rejected webhook",
            metadata: [
                "provider": "\(provider)", "status": "\(rejection.status.code)", "reason": "\(rejection.message)",
            ]
        )
        return JSONResponse.error(rejection.status, rejection.message)
    }

    private func deadLetter(provider: String, delivery: WebhookRequest, reason: String, logger: Logger) async {
        do {
            try await publisher.publishDeadLetter(provider: provider, request: delivery, reason: reason)
            metrics.recordDeadLetter(provider: provider)
        } catch {
            logger.error("could not write the dead letter", metadata: ["error": "\(error)"])
        }
    }

    /// `application/json; charset=utf-8` → `application/json`.
    static func mediaType(_ contentType: String) -> String {
        // Usually the header already is a bare lowercase media type: then it is its own
        // result, and splitting, trimming and lowercasing would only copy it.
        let isBareLowercaseASCII = contentType.utf8.allSatisfy { byte in
            byte < 0x80 && byte != UInt8(ascii: ";") && byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t")
                && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
        if isBareLowercaseASCII {
            return contentType
        }
        let base = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return base.trimmedWhitespace().lowercased()
    }
}

extension Metrics.Timer {
    func recordDuration(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
