/// Bearer credentials (RFC 6750): `Authorization: Bearer <token>`.
public enum BearerToken {
    /// The token of an `Authorization` value of the Bearer scheme (named in any case, then
    /// one or more spaces), with spaces and tabs around it ignored; nil for another scheme
    /// or no token.
    public static func token(in authorization: some StringProtocol) -> Substring? {
        let value = authorization.trimmingWhitespace()
        let utf8 = value.utf8
        guard utf8.count > 7,
            utf8.prefix(6).elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }),
            utf8.dropFirst(6).first == UInt8(ascii: " ")
        else { return nil }
        // After the trim the value ends in a character that is not a space, so the token is not empty.
        return value[utf8.index(utf8.startIndex, offsetBy: 7)...].trimmingWhitespace()
    }
}
