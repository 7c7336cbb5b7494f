import CallEvents
import JWTKit
import WireFormats

/// Verifies dashboard tokens: JWTs signed with HS256 and the Bridge's key, unexpired, with
/// a valid role. Only HS256 is accepted: the key collection holds that one key, so a token
/// naming another algorithm (`none` included) fails.
final class DashboardTokenVerifier: Sendable {
    private let keys: JWTKeyCollection

    init(secret: String) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// The token's identity, or why it is refused (a message safe to show the client:
    /// it never contains the token).
    func verify(_ token: String) async -> Result<DashboardIdentity, TokenRejection> {
        guard !token.isEmpty, token.utf8.count <= 8192 else {
            return .failure(TokenRejection(message: "the token is empty or too long"))
        }
        // The key collection would verify an HS256 signature whatever algorithm the header
        // names; insist that it names HS256, so a token means exactly what it says.
        guard Self.headerAlgorithm(of: token) == "HS256" else {
            return .failure(TokenRejection(message: "the token must be signed with HS256"))
        }
        do {
            let claims = try await keys.verify(token, as: DashboardClaims.self)
            return .success(try claims.identity())
        } catch let error as JWTError {
            return .failure(TokenRejection(message: Self.describe(error)))
        } catch {
            return .failure(TokenRejection(message: "the token is not valid"))
        }
    }

    private static func headerAlgorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first else {
            return nil
        }
        guard let data = Base64URL.decode(header),
            case .object(let object)? = try? data.withUnsafeBytes({ bytes in try JSONValue(parsing: bytes) }),
            case .string(let algorithm)? = object["alg"]
        else { return nil }
        return algorithm
    }

    private static func describe(_ error: JWTError) -> String {
        switch error.errorType {
        case .claimVerificationFailure:
            if error.failedClaim is ExpirationClaim { return "the token has expired" }
            if error.failedClaim is NotBeforeClaim { return "the token is not valid yet" }
            return "the token's claims are not valid: \(error.reason ?? "bad claims")"
        case .signatureVerificationFailed:
            return "the token's signature does not verify"
        case .missingKIDHeader, .unknownKID:
            return "the token was not signed with this server's key"
        default:
            return "the token is not a valid HS256 JWT"
        }
    }
}

/// Why a token was refused.
struct TokenRejection: Error, Sendable {
    var message: String
}
