import Crypto
import Foundation
import Testing

@testable import Simulator

/// The simulator's signatures against vectors published with the providers' own SDKs.
@Suite("Webhook signers")
struct SignerTests {
    @Test("Twilio: twilio-python's RequestValidator test vector")
    func twilioVector() {
        let signer = TwilioRequestSigner(authToken: "12345")
        let parameters: [(name: String, value: String)] = [
            ("To", "+18005551212"), ("From", "+14158675309"), ("Digits", "1234"),
            ("Caller", "+14158675309"), ("CallSid", "CA1234567890ABCDE"),
        ]
        #expect(
            signer.signature(url: "https://mycompany.com/myapp.php?foo=1&bar=2", parameters: parameters)
                == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    }

    @Test("Twilio: a different token or URL gives a different signature")
    func twilioDependsOnKeyAndURL() {
        let parameters: [(name: String, value: String)] = [("CallSid", "CA1")]
        let signature = TwilioRequestSigner(authToken: "12345").signature(
            url: "https://a.example/x", parameters: parameters)
        #expect(
            TwilioRequestSigner(authToken: "12346").signature(url: "https://a.example/x", parameters: parameters)
                != signature)
        #expect(
            TwilioRequestSigner(authToken: "12345").signature(url: "https://a.example/y", parameters: parameters)
                != signature)
    }

    @Test("Retell: retell-sdk's signer vector")
    func retellVector() {
        let body = Array(#"{"event":"call_started","call":{"call_id":"abc"}}"#.utf8)
        let header = RetellRequestSigner(apiKey: "key_test").signature(
            body: body, timestampMilliseconds: 1_714_608_475_945)
        #expect(header == "v=1714608475945,d=d869cffb0c9f3840faf13481bd6ca32c0a72e11dcae5e14e65429ae43bf5005a")
    }

    @Test("Generic: HMAC-SHA256 of \"<t>.<body>\", hex")
    func genericScheme() {
        let body = Array(#"{"type":"call.started"}"#.utf8)
        let header = GenericRequestSigner(secret: "s3cret").signature(body: body, timestampSeconds: 1_700_000_000)
        // Computed with Python: hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
        #expect(header == "t=1700000000,v1=711105b57a909277ffe24a02dc89351587f9469b1309e577b47bfdd14201d308")
    }

    @Test("Telnyx: Ed25519 over \"<timestamp>|<body>\", verifiable with the public key")
    func telnyxVerifies() throws {
        let key = Curve25519.Signing.PrivateKey()
        let body = Array(#"{"data":{}}"#.utf8)
        let headers = TelnyxRequestSigner(privateKey: key).headers(
            body: body, url: "", formParameters: [], date: Date(timeIntervalSince1970: 1_700_000_000))
        let values = Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })
        #expect(values["telnyx-timestamp"] == "1700000000")
        let signature = try #require(Data(base64Encoded: values["telnyx-signature-ed25519"] ?? ""))
        #expect(key.publicKey.isValidSignature(signature, for: Array("1700000000|".utf8) + body))
        #expect(!key.publicKey.isValidSignature(signature, for: Array("1700000001|".utf8) + body))
    }

    @Test("Forged signers sign with another key")
    func forgedDiffers() {
        let body = Array("{}".utf8)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let signers: [any WebhookSigner] = [
            TwilioRequestSigner(authToken: "a"), RetellRequestSigner(apiKey: "a"), GenericRequestSigner(secret: "a"),
            VapiRequestAuthenticator(secret: "a"), TelnyxRequestSigner(privateKey: Curve25519.Signing.PrivateKey()),
        ]
        for signer in signers {
            let real = signer.headers(body: body, url: "http://x/", formParameters: [("A", "1")], date: date).map(
                \.value)
            let forged = signer.forged().headers(body: body, url: "http://x/", formParameters: [("A", "1")], date: date)
                .map(\.value)
            #expect(real != forged, "\(type(of: signer))")
        }
    }
}
