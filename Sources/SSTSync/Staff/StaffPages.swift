import Hummingbird
import SSTStore
import Synchronization

/// Where the staff web page (the `SSTWeb` target, which depends on this one) puts its routes on a node's or the
/// hub's HTTPS listener, beside the staff API: the program that serves registers it once
/// (`StaffPages.register`), and ``NodeServer`` and ``SyncRoutes/hubRouter(service:authenticator:)`` add it to
/// every router they make.
public enum StaffPages {
    /// Adds the page's routes to a router, given the node's store and (at a school node) its data directory.
    public typealias Installer =
        @Sendable (_ router: Router<SyncRequestContext>, _ store: Store, _ dataDirectory: String?) ->
        Void

    private static let installer = Mutex<Installer?>(nil)

    /// Makes every router made from now on serve the page; the last registration counts.
    public static func register(_ install: @escaping Installer) {
        installer.withLock { $0 = install }
    }

    /// Adds the registered page's routes to `router`, or nothing when none was registered.
    static func add(to router: Router<SyncRequestContext>, store: Store, dataDirectory: String?) {
        installer.withLock { $0 }?(router, store, dataDirectory)
    }
}
