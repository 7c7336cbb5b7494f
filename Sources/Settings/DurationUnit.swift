/// The unit a duration setting is given in.
public enum DurationUnit: Sendable {
    case milliseconds, seconds

    func duration(_ count: Int) -> Duration {
        switch self {
        case .milliseconds: .milliseconds(count)
        case .seconds: .seconds(count)
        }
    }

    /// Whole units in `duration` (a default is a whole number of them).
    func count(in duration: Duration) -> Int {
        let unit = self.duration(1)
        return Int(duration / unit)
    }
}
