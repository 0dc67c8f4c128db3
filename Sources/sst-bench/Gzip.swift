import CZlib  // The system's zlib, as the sync bodies use it (`GzipCodec`).
import Foundation

/// gzip compression with the settings of HTTP compression in SwiftNIO (and of Python's `zlib` with
/// `wbits=31`): default level (6), 32 KiB window, memLevel 8, default strategy.
enum Gzip {
    /// The compressed size of `data`, or nil when zlib fails.
    static func compressedSize(_ data: Data) -> Int? {
        var stream = z_stream()
        let initialized = CZlib_deflateInit2(
            &stream,
            Z_DEFAULT_COMPRESSION,
            Z_DEFLATED,
            16 + 15,
            8,
            Z_DEFAULT_STRATEGY
        )
        guard initialized == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var output = [UInt8](repeating: 0, count: 64 * 1024)
        var total = 0
        return input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                let code = output.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.next_out = outputBuffer.baseAddress
                    stream.avail_out = UInt32(outputBuffer.count)
                    let code = deflate(&stream, Z_FINISH)
                    total += outputBuffer.count - Int(stream.avail_out)
                    return code
                }
                if code == Z_STREAM_END { return total }
                guard code == Z_OK || code == Z_BUF_ERROR else { return nil }
            }
        }
    }
}
