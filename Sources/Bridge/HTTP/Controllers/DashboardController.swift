import Hummingbird

/// `GET /` and the dashboard's style sheet and script, from the files of ``DashboardPage``.
struct DashboardController: Sendable {
    let dashboard: DashboardPage

    func addRoutes(to router: Router<BridgeRequestContext>) {
        for (path, file) in dashboard.files {
            router.get(RouterPath(path)) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: file.contentType], body: ResponseBody(byteBuffer: file.body))
            }
        }
    }
}
