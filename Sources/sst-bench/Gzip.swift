import Foundation

#if canImport(CNIOExtrasZlib)
// zlib as vendored by swift-nio-extras, which the sync stack (AsyncHTTPClient) already links: the same
// compressor HTTP `Content-Encoding: gzip` uses there.
import CNIOExtrasZlib
#endif

/// gzip compression with the settings of HTTP compression in SwiftNIO (and of Python's `zlib` with
/// `wbits=31`): default level (6), 32 KiB window, memLevel 8, default strategy.
enum Gzip {
    /// The compressed size of `data`, or nil when zlib is not available in this build.
    static func compressedSize(_ data: Data) -> Int? {
        #if canImport(CNIOExtrasZlib)
        var stream = cnioextras_z_stream()
        let initialized = CNIOExtrasZlib_deflateInit2(
            &stream,
            CNIOEXTRAS_Z_DEFAULT_COMPRESSION,
            CNIOEXTRAS_Z_DEFLATED,
            16 + 15,
            8,
            CNIOEXTRAS_Z_DEFAULT_STRATEGY
        )
        guard initialized == CNIOEXTRAS_Z_OK else { return nil }
        defer { cnioextras_z_deflateEnd(&stream) }
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
                    let code = cnioextras_z_deflate(&stream, CNIOEXTRAS_Z_FINISH)
                    total += outputBuffer.count - Int(stream.avail_out)
                    return code
                }
                if code == CNIOEXTRAS_Z_STREAM_END { return total }
                guard code == CNIOEXTRAS_Z_OK || code == CNIOEXTRAS_Z_BUF_ERROR else { return nil }
            }
        }
        #else
        return nil
        #endif
    }
}
