#if canImport(GRDBSQLite)
import GRDBSQLite
#else
import SQLite3
#endif

/// A bare SQLite connection through the C API, with nothing of GRDB or the store in between: the
/// baselines are measured with it.
final class RawSQLite {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var connection: OpaquePointer?
    private var statements: [OpaquePointer] = []

    /// Opens an existing database with the store's settings: WAL (a property of the file), the default
    /// `synchronous`, `secure_delete = ON` and a busy timeout.
    init(path: String) throws {
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(connection)
            throw Failure(description: "cannot open \(path): \(message)")
        }
        sqlite3_busy_timeout(connection, 10_000)
        try execute("PRAGMA secure_delete = ON")
    }

    deinit {
        for statement in statements { sqlite3_finalize(statement) }
        sqlite3_close_v2(connection)
    }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(connection, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw Failure(description: "\(sql): \(text)")
        }
    }

    /// A prepared statement that lives as long as the connection.
    func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else {
            throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(connection)))")
        }
        statements.append(statement)
        return statement
    }

    /// Runs a prepared statement that returns no rows (or whose rows are ignored) and resets it.
    func run(_ statement: OpaquePointer) throws {
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else {
            throw Failure(description: String(cString: sqlite3_errmsg(connection)))
        }
    }

    /// The first column of the first row of `sql`, as text.
    func text(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }

    /// `journal_mode=wal synchronous=2 secure_delete=1`: the settings the baselines ran with.
    func settings() throws -> String {
        let names = ["journal_mode", "synchronous", "secure_delete", "cache_size", "page_size"]
        return try names.map { "\($0)=\(try text("PRAGMA \($0)") ?? "?")" }.joined(separator: " ")
    }

    // MARK: Binding and reading columns

    static func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
        guard let text else {
            sqlite3_bind_null(statement, index)
            return
        }
        text.withCString { _ = sqlite3_bind_text(statement, index, $0, -1, transient) }
    }

    static func bind(_ statement: OpaquePointer, _ index: Int32, _ integer: Int64) {
        sqlite3_bind_int64(statement, index, integer)
    }

    static func bindNull(_ statement: OpaquePointer, _ index: Int32) {
        sqlite3_bind_null(statement, index)
    }

    /// Steps a query once: true when it produced a row.
    static func step(_ statement: OpaquePointer) -> Bool {
        sqlite3_step(statement) == SQLITE_ROW
    }

    static func reset(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
    }

    static func int64(_ statement: OpaquePointer, _ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    static func text(_ statement: OpaquePointer, _ column: Int32) -> String? {
        sqlite3_column_text(statement, column).map { String(cString: $0) }
    }

    /// SQLite copies bound text before `bind` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
