import JWTKit

/// The claims of a dashboard token: `exp`, an optional `nbf`, and `role` `admin`, or
/// `role` `client` with a `clientId`.
struct DashboardClaims: JWTPayload {
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var role: String
    var clientId: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
        _ = try identity()
    }

    func identity() throws -> DashboardIdentity {
        switch role {
        case "admin":
            return .admin
        case "client":
            guard let clientId, RoomName.isValidClientID(clientId) else {
                throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "a client token needs a clientId")
            }
            return .client(clientId)
        default:
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "role must be admin or client")
        }
    }
}
