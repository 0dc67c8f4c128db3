import Foundation
import GRDB

extension StoreError {
    /// `error` as the store's refusal when SQLite says the disk is full (`SQLITE_FULL`), naming the directory of
    /// `databasePath` and saying that nothing was written; any other error as it is.
    public static func explaining(_ error: any Error, databasePath: String?) -> any Error {
        guard let database = error as? DatabaseError, database.resultCode == .SQLITE_FULL else { return error }
        let directory = databasePath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
        return StoreError(
            .storageFull,
            "the disk holding \(directory ?? "the node's data directory") is full: SQLite could not write "
                + "(\(database.message ?? "database or disk is full")), so nothing of this change was written",
            remedy: "Free space on that disk (or move the data directory to a larger one), then run the command again; "
                + "the node's data is as it was before."
        )
    }
}

extension Store {
    /// The path of the store's database file, or nil for a store in memory.
    public var databasePath: String? { (writer as? DatabasePool)?.path }

    /// ``StoreError/explaining(_:databasePath:)`` for this store.
    public func explaining(_ error: any Error) -> any Error {
        StoreError.explaining(error, databasePath: databasePath)
    }
}
