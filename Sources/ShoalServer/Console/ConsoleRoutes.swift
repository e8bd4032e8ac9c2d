import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the console's pages at `{base}/console/`: the page shell (revalidated on every load,
/// with an ETag) and its scripts and styles under a path named for their version, cached for a
/// year. Every answer carries a Content-Security-Policy that lets a page load only this server's
/// own scripts and styles and talk only to this server: no inline script, no other origin, no
/// framing.
enum ConsoleRoutes {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func register(on router: Router<BasicRequestContext>, settings: ConsoleSettings) {
        let root = settings.root
        let index = ConsoleAssetData.files["index.html"] ?? ""
        let page = index.replacingOccurrences(of: "{{ASSETS}}", with: "\(root)/assets/\(ConsoleAssetData.version)")
            .replacingOccurrences(of: "{{ROOT}}", with: root)
        let pageTag = "\"\(ConsoleAssetData.version)\""
        router.get(RouterPath(root)) { request, _ in
            // `/console` (without its slash) and `/console/` route alike; the page's relative
            // links need the slash.
            if !request.uri.path.hasSuffix("/") {
                var headers = secured(HTTPFields())
                headers[.location] = root + "/"
                return Response(status: .permanentRedirect, headers: headers)
            }
            var headers = secured(HTTPFields())
            headers[.cacheControl] = "no-cache"
            headers[.eTag] = pageTag
            if request.headers[.ifNoneMatch] == pageTag { return Response(status: .notModified, headers: headers) }
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        router.get(RouterPath(root + "/assets/:version/**")) { request, context in
            let version = context.parameters.get("version") ?? ""
            let name = context.parameters.getCatchAll().joined(separator: "/")
            guard name != "index.html", let text = ConsoleAssetData.files[name] else {
                return secured(plainTextResponse(.notFound, "No such console file"))
            }
            var headers = secured(HTTPFields())
            headers[.contentType] = contentType(name)
            if version == ConsoleAssetData.version {
                headers[.cacheControl] = "public, max-age=31536000, immutable"
            } else {
                // A page of an older version asks for a file by its old path: answer the current
                // one, uncached, rather than break the page until it reloads.
                headers[.cacheControl] = "no-store"
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The headers every console answer carries.
    static func secured(_ fields: HTTPFields) -> HTTPFields {
        var headers = fields
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        return headers
    }

    static func secured(_ response: Response) -> Response {
        var response = response
        response.headers = secured(response.headers)
        return response
    }

    static func contentType(_ name: String) -> String {
        switch name.split(separator: ".").last {
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json", "webmanifest": "application/json"
        default: "text/plain; charset=utf-8"
        }
    }
}
