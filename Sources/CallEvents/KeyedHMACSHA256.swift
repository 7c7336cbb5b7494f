import Crypto

/// HMAC-SHA256 (RFC 2104) whose key has been absorbed once: copy it for each message,
/// feed the message, finalize. The result is the same as `HMAC<SHA256>`'s.
///
/// Made for keys used on every webhook (the generic provider's secret, the caller-hash
/// key). Building an `HMAC<SHA256>` pads and hashes the key and allocates several buffers
/// each time, and its `update` is generic over `DataProtocol` and is not specialized
/// across modules, which showed in Ingest's profile as generic-metadata lookups on every
/// request. Here the padded key's two SHA-256 states are prepared once (RFC 2104 § 4
/// suggests exactly this precomputation), and messages go to `SHA256`'s non-generic
/// `update(bufferPointer:)`.
package struct KeyedHMACSHA256: Sendable {
    /// SHA-256 that has absorbed `key ⊕ ipad`; the message goes here.
    private var inner: SHA256
    /// SHA-256 that has absorbed `key ⊕ opad`; the inner digest goes here.
    private let outer: SHA256

    package init(key: SymmetricKey) {
        // A key longer than a block is replaced by its digest; a shorter one is zero-padded.
        var block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        key.withUnsafeBytes { key in
            if key.count > block.count {
                SHA256.hash(data: key).withUnsafeBytes { block.replaceSubrange(0..<$0.count, with: $0) }
            } else {
                block.replaceSubrange(0..<key.count, with: key)
            }
        }
        inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5c })
        self.outer = outer
    }

    /// Adds bytes to the message.
    package mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bytes)
    }

    /// Adds bytes to the message, in place when they are contiguous (a `ByteBufferView`,
    /// an array, a native string's UTF-8), copying only otherwise.
    package mutating func update(bytes: some Collection<UInt8>) {
        let updatedInPlace: Void? = bytes.withContiguousStorageIfAvailable {
            update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if updatedInPlace == nil {
            Array(bytes).withUnsafeBytes { update(bufferPointer: $0) }
        }
    }

    /// The authentication code of the message fed so far.
    package func finalize() -> SHA256Digest {
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
