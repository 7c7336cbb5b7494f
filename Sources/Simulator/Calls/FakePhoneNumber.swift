/// Phone numbers that belong to nobody: E.164 `+1555` followed by seven digits (555 is not
/// an assigned North American area code), so a simulation can never ring or expose a person.
enum FakePhoneNumber {
    static let prefix = "+1555"

    static func draw(using random: inout SeededRandom) -> String {
        prefix + String(format7(random.next() % 10_000_000))
    }

    private static func format7(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 7 - digits.count) + digits
    }
}
