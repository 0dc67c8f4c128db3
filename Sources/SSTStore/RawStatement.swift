import GRDB

#if canImport(GRDBSQLite)
import GRDBSQLite
#elseif canImport(SQLite3)
import SQLite3
#endif

/// A statement from GRDB's statement cache, bound, stepped and read through the SQLite C API.
///
/// The merge, the export and the dump run a handful of statements hundreds of thousands of times;
/// there GRDB's argument arrays, row cursors and rows cost several times SQLite's own work. Values are
/// bound exactly as GRDB binds them (text copied with `SQLITE_TRANSIENT`, ``DatabaseValue`` through its
/// own binding), and errors are thrown as GRDB's ``DatabaseError``. Every use ends with ``reset()``.
struct RawStatement {
    /// Keeps the compiled statement alive as long as this value.
    private let statement: Statement
    private let handle: SQLiteStatement

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    func bind(_ index: Int32, _ text: String?) {
        guard let text else {
            sqlite3_bind_null(handle, index)
            return
        }
        text.withCString { _ = sqlite3_bind_text(handle, index, $0, -1, Self.transient) }
    }

    /// Binds UTF-8 text given as bytes (the caller has built it as bytes, saving a `String`).
    func bind(_ index: Int32, utf8 bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                _ = sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Self.transient)
            }
        }
    }

    func bind(_ index: Int32, _ integer: Int64) {
        sqlite3_bind_int64(handle, index, integer)
    }

    func bind(_ index: Int32, _ value: DatabaseValue) {
        _ = value.bind(to: handle, at: index)
    }

    /// Steps to the next row: true when there is one, false when the statement is done.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func execute() throws {
        defer { reset() }
        while try step() {}
    }

    func reset() {
        sqlite3_reset(handle)
    }

    // MARK: Columns of the current row

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// The column as text (NULL as nil), read as GRDB reads text.
    func text(_ column: Int32) -> String? {
        sqlite3_column_text(handle, column).map { String(cString: $0) }
    }

    /// The column's text as UTF-8 bytes, valid only inside `body` (nil for NULL), read without making a `String`.
    func withText<Result>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) rethrows -> Result {
        guard let text = sqlite3_column_text(handle, column) else { return try body(nil) }
        return try body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
    }

    func databaseValue(_ column: Int32) -> DatabaseValue {
        DatabaseValue(sqliteStatement: handle, index: column)
    }

    /// SQLite's count of rows changed on the connection since it opened, read without GRDB's checks of the
    /// calling queue (the merge reads it after every write; ``MergeCache``).
    static func totalChanges(_ db: Database) -> Int {
        Int(sqlite3_total_changes(db.sqliteConnection))
    }

    /// SQLite copies bound text before `sqlite3_bind_text` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
