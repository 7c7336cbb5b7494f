import Testing
import WireFormats

@Suite("Bearer tokens")
struct BearerTokenTests {
    @Test(
        "the token of the Bearer scheme, in any case, spaces around ignored",
        arguments: [
            ("Bearer abc.def", "abc.def"), ("bearer abc", "abc"), ("BEARER  abc ", "abc"), (" \tBearer abc\t", "abc"),
            ("Bearer a b", "a b"),
        ])
    func token(header: String, token: String) {
        #expect(BearerToken.token(in: header) == Substring(token))
    }

    @Test(
        "another scheme, no space after the scheme, or no token is nil",
        arguments: [
            "Basic abc", "Bearer", "Bearer ", "Bearer \t ", "Bearerabc", "Bearer\tabc", "", "Token abc", "Bearer:abc",
        ])
    func none(header: String) {
        #expect(BearerToken.token(in: header) == nil)
    }
}
