import Benchmark
import CallEvents
import HotPathBenchmarkSupport
import NIOCore

// The call event on the bus: Ingest encodes each one into its Kafka record, the Bridge
// decodes each record it consumes.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .hotPath

    Benchmark("encode") { benchmark, event in
        for _ in benchmark.scaledIterations {
            blackHole(event.encoded())
        }
    } setup: {
        SampleEvents.ended(number: 1)
    }

    Benchmark("decode") { benchmark, record in
        for _ in benchmark.scaledIterations {
            blackHole(try CallEvent.decode(record))
        }
    } setup: {
        SampleEvents.ended(number: 1).encoded()
    }
}
