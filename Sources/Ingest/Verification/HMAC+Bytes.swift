import Crypto
import Foundation

extension HMAC {
    /// Adds `bytes` to the authenticated message, in place when they are contiguous (a
    /// request body's `ByteBufferView`, a native string's UTF-8), copying only otherwise.
    mutating func update(bytes: some Collection<UInt8>) {
        let updatedInPlace: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(data: UnsafeRawBufferPointer(buffer))
        }
        if updatedInPlace == nil {
            update(data: Array(bytes))
        }
    }
}
