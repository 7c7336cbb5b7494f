import CallEvents
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
            guard let clientId else {
                throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "a client token needs a clientId")
            }
            guard let clientID = ClientID(clientId) else {
                throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "clientId must be \(ClientID.rule)")
            }
            return .client(clientID)
        default:
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "role must be admin or client")
        }
    }
}
