import Foundation

/// How long answered calls last: log-normal, the usual fit for call holding times (many
/// short calls, a long tail), clamped so one draw cannot dominate a run.
///
/// With the default median of 150 s and sigma 0.9: a quarter of calls end within 82 s, 90 %
/// within 8 min, 99 % within 20 min.
struct CallDurationDistribution: Sendable {
    /// Simulated seconds half the calls are shorter than.
    var medianSeconds: Double
    /// Spread of the logarithm of the duration.
    var sigma: Double = 0.9
    /// Simulated seconds no call is shorter or longer than.
    var bounds: ClosedRange<Double> = 3...7200

    /// One duration in simulated seconds.
    func draw(using random: inout SeededRandom) -> Double {
        // Box-Muller: two uniforms to one standard normal; 1 - u keeps log's argument above 0.
        let u1 = 1 - random.unit()
        let u2 = random.unit()
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        let seconds = medianSeconds * exp(sigma * normal)
        return min(max(seconds, bounds.lowerBound), bounds.upperBound)
    }
}
