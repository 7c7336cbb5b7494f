/// The `=` padding of base64 (either alphabet), which senders often leave out and
/// Foundation's decoder requires.
public enum Base64Padding {
    /// `text` with the `=` padding that makes its length a multiple of four; nil when no
    /// padding can (a length of 4n + 1 is never base64).
    public static func padded(_ text: some StringProtocol) -> String? {
        switch text.utf8.count % 4 {
        case 0: String(text)
        case 2: String(text) + "=="
        case 3: String(text) + "="
        default: nil
        }
    }
}
