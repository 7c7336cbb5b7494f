import HTTPTypes

extension HTTPFields {
    /// The value of the header `name`, exactly as `self[name]` gives it (every occurrence,
    /// joined), but without building a new string when the header occurs once, as it does
    /// on almost every request: `self[name]` joins through a generic lazy sequence, which
    /// showed up in the profile of the webhook path.
    func value(of name: HTTPField.Name) -> String? {
        guard let first = firstIndex(where: { $0.name == name }) else { return nil }
        if self[index(after: first)...].contains(where: { $0.name == name }) {
            return self[name]
        }
        return self[first].value
    }
}
