import Foundation
import NIOCore

/// The live dashboard Bridge serves at `GET /`: a page, its style sheet and its script
/// (`Resources/dashboard`: no external resources, no framework), read once at start.
///
/// - The token comes from the page URL's `?token=` (then removed from the address bar) or
///   from the form, and is kept in `sessionStorage` for this tab only.
/// - It connects to `/ws?token=…` on the same host (`wss:` when the page is `https:`),
///   renders the snapshot, then applies events with the server's merge rules:
///   `call.started` adds to the active calls; `call.ended` removes the call from them and
///   puts the merged call at the top of the recent calls (at most 20); a second
///   `call.ended` fills in what the first lacked; an event id seen before is ignored.
/// - On disconnect it reconnects with exponential backoff (0.5 s doubling to 30 s, with
///   jitter) and `since=<last position>`, so it receives only what it missed (`resumed`),
///   or a snapshot with `"recovered": false` that replaces its state.
/// - Everything from the server is inserted with `textContent`/`setAttribute`, never as HTML.
///
/// Stable hooks for tests and scripts: `#status` (`data-status` = `connecting`, `live`,
/// `reconnecting`, `signed-out`), `#active-calls tbody tr[data-call-id]`,
/// `#recent-calls tbody tr[data-call-id]`, cells `td[data-field=…]` (`from`, `to`,
/// `client`, `provider`, `started`, `duration`, `reason`), `#active-count`,
/// `#recent-count`, `#position` (`data-position`), `#message`.
struct DashboardPage: Sendable {
    /// A file of the dashboard: its bytes and content type.
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
    }

    /// By request path.
    let files: [String: File]

    private static let served: [(path: String, resource: String, contentType: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
        ("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
    ]

    /// Reads the files from the Bridge's resource bundle.
    static func load() throws -> DashboardPage {
        guard let folder = Bundle.module.url(forResource: "dashboard", withExtension: nil) else {
            throw DashboardMissing(detail: "no dashboard folder in \(Bundle.module.bundlePath)")
        }
        var files: [String: File] = [:]
        for entry in served {
            let url = folder.appendingPathComponent(entry.resource)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw DashboardMissing(detail: "cannot read \(url.path)")
            }
            files[entry.path] = File(body: ByteBuffer(bytes: data), contentType: entry.contentType)
        }
        return DashboardPage(files: files)
    }

    struct DashboardMissing: Error, CustomStringConvertible {
        var detail: String
        var description: String {
            "the dashboard's files are missing (\(detail)): install the resource bundle next to the Bridge binary"
        }
    }
}
