import CZlib
import Foundation

/// gzip (RFC 1952) for sync bodies (`Content-Encoding: gzip`), on the system's zlib (the `CZlib` target).
///
/// Compression uses zlib's defaults (level 6, 32 KiB window, memLevel 8) with the gzip wrapper. Decompression
/// takes one or more gzip members and stops as soon as the output passes a limit, so a small body that
/// inflates to gigabytes (a "zip bomb") costs at most the limit in memory.
public enum GzipCodec {
    /// Why a body could not be decompressed.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The decompressed data is larger than the limit.
        case tooLarge(limit: Int)
        /// The data is not valid gzip: a bad header, a bad checksum, a truncated stream, trailing bytes.
        case corrupt(String)
        /// zlib could not start (out of memory).
        case zlib(Int32)

        public var description: String {
            switch self {
            case .tooLarge(let limit): "the data decompresses to more than \(limit) bytes"
            case .corrupt(let reason): "the data is not valid gzip: \(reason)"
            case .zlib(let code): "zlib failed to start (code \(code))"
            }
        }
    }

    /// The gzip magic number, the first two bytes of every gzip member.
    public static let magic: [UInt8] = [0x1f, 0x8b]

    /// zlib's window bits for a 32 KiB window (15) plus 16: write and read the gzip wrapper, not zlib's.
    static let gzipWindowBits: Int32 = 15 + 16
    /// Output is produced in chunks of this size.
    static let chunkSize = 64 * 1024
    /// zlib counts input and output in 32-bit integers: larger inputs are fed in slices of at most this size.
    static let maxSlice = 1 << 30

    /// `data` compressed as one gzip member.
    public static func compress(_ data: Data) throws(Failure) -> Data {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        let started = CZlib_deflateInit2(
            stream,
            Z_DEFAULT_COMPRESSION,
            Z_DEFLATED,
            gzipWindowBits,
            8,
            Z_DEFAULT_STRATEGY
        )
        guard started == Z_OK else { throw .zlib(started) }
        defer { deflateEnd(stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        let code: Int32 = data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> Int32 in
            var offset = 0
            while true {
                let slice = min(input.count - offset, maxSlice)
                stream.pointee.next_in = slice == 0 ? nil : pointer(input, at: offset)
                stream.pointee.avail_in = UInt32(slice)
                offset += slice
                let flush = offset == input.count ? Z_FINISH : Z_NO_FLUSH
                var code = Z_OK
                repeat {  // Until zlib leaves output room: it has taken all of this slice.
                    let produced = chunk.withUnsafeMutableBytes { out in
                        stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
                        stream.pointee.avail_out = UInt32(out.count)
                        code = deflate(stream, flush)
                        return out.count - Int(stream.pointee.avail_out)
                    }
                    output.append(contentsOf: chunk[..<produced])
                } while stream.pointee.avail_out == 0
                // Z_BUF_ERROR only says that a call had nothing to do; it is not fatal.
                if flush == Z_FINISH || (code != Z_OK && code != Z_BUF_ERROR) {
                    return code
                }
            }
        }
        guard code == Z_STREAM_END else { throw .zlib(code) }
        return output
    }

    /// `data` decompressed: one gzip member or several in a row (RFC 1952 §2.2), at most `limit` bytes.
    ///
    /// Throws ``Failure/tooLarge(limit:)`` as soon as the output passes `limit`, and ``Failure/corrupt(_:)`` for
    /// anything that is not complete, valid gzip (including no data at all, and bytes after the last member).
    public static func decompress(_ data: Data, limit: Int) throws(Failure) -> Data {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        let started = CZlib_inflateInit2(stream, gzipWindowBits)
        guard started == Z_OK else { throw .zlib(started) }
        defer { inflateEnd(stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        let failure: Failure? = data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> Failure? in
            var offset = 0
            while true {
                if stream.pointee.avail_in == 0, offset < input.count {
                    let slice = min(input.count - offset, maxSlice)
                    stream.pointee.next_in = pointer(input, at: offset)
                    stream.pointee.avail_in = UInt32(slice)
                    offset += slice
                }
                var code = Z_OK
                let produced = chunk.withUnsafeMutableBytes { out in
                    stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
                    stream.pointee.avail_out = UInt32(out.count)
                    code = inflate(stream, Z_NO_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                guard output.count + produced <= limit else { return .tooLarge(limit: limit) }
                output.append(contentsOf: chunk[..<produced])
                let inputLeft = stream.pointee.avail_in > 0 || offset < input.count
                switch code {
                case Z_STREAM_END:
                    guard inputLeft else { return nil }
                    // Another member follows (or trailing bytes, which the next header check refuses).
                    guard inflateReset(stream) == Z_OK else { return .zlib(code) }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where !inputLeft:
                    return .corrupt(input.isEmpty ? "no data" : "the stream ends before its end marker")
                default:
                    return .corrupt(message(stream, code))
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Whether `data` starts with the gzip magic number.
    public static func isGzip(_ data: some Collection<UInt8>) -> Bool {
        data.starts(with: magic)
    }

    private static func pointer(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UnsafeMutablePointer<UInt8>? {
        // zlib never writes through next_in; its C declaration is just not const.
        buffer.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.advanced(by: offset).assumingMemoryBound(to: UInt8.self))
        }
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>, _ code: Int32) -> String {
        stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
    }
}
