import Foundation
import Hummingbird
import NIOCore

extension Problem: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        httpResponse()
    }

    /// The problem as an `application/problem+json` response.
    func httpResponse() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data(#"{"status":500}"#.utf8)
        var headers: HTTPFields = [.contentType: SyncProtocol.problemMediaType]
        if statusCode == 415 {  // RFC 9110 §15.5.16: name the content codings the hub reads.
            headers[.acceptEncoding] = ContentCoding.supported
        }
        if statusCode == 401 {  // RFC 9110 §11.6.1, RFC 6750 §3: the staff API takes a bearer token.
            headers[.wwwAuthenticate] = #"Bearer realm="sst-staff""#
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
