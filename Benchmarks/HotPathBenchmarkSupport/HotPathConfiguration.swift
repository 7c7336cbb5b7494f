import Benchmark

extension Benchmark.Configuration {
    /// What every hot-path benchmark measures, and the margins `thresholds check` allows over
    /// the p90 checked in under Benchmarks/Thresholds (docs/benchmarks.md says why these).
    ///
    /// Names take no spaces or slashes: the plugin writes a threshold file under a name with
    /// them replaced, but looks it up under the name as it is (and skips the benchmark).
    ///
    /// Each sample runs the operation 1,000 times (`scaledIterations`): samples long enough for
    /// the clock, and allocations counted 1,000 at a time.
    public static var hotPath: Self {
        .init(
            metrics: [.wallClock, .mallocCountTotal],
            warmupIterations: 10,
            scalingFactor: .kilo,
            // Long enough for some 30 samples of the slowest (Telnyx's, 60 ms a sample).
            maxDuration: .seconds(2),
            maxIterations: 10_000,
            thresholds: [
                // Allocations repeat exactly from sample to sample: one more per operation
                // (+1,000 a sample) fails.
                .mallocCountTotal: BenchmarkThresholds(absolute: [.p90: 500]),
                // A shared 2-core machine: only a clear slowdown fails, on a quiet machine.
                .wallClock: BenchmarkThresholds(relative: [.p90: 50]),
            ]
        )
    }
}
