using Gleitzeit.Core;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>
/// The database layout and its migrations. <c>PRAGMA user_version</c> holds the applied version; each migration runs
/// in its own transaction on open. A file with a newer version than this code knows is refused untouched.
/// Timestamps are UTC ticks (exact, sortable, and averaged in SQL); JSON columns hold <see cref="Core.Persistence.StoreJson"/> forms.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>"GLTZ": marks the file as a Gleitzeit database.</summary>
    public const int ApplicationId = 0x474C545A;

    public static readonly string[][] Migrations =
    [
        // 1: tables
        [
            """
            CREATE TABLE runs (
                seq          INTEGER PRIMARY KEY AUTOINCREMENT,
                id           TEXT    NOT NULL UNIQUE,
                name         TEXT    NOT NULL,
                status       TEXT    NOT NULL,
                created_at   INTEGER NOT NULL,
                started_at   INTEGER,
                completed_at INTEGER,
                error        TEXT,
                task_count   INTEGER NOT NULL,
                definition   TEXT,
                inputs       TEXT
            )
            """,
            """
            CREATE TABLE tasks (
                run_id       TEXT    NOT NULL,
                task_id      TEXT    NOT NULL,
                position     INTEGER NOT NULL,
                status       TEXT    NOT NULL,
                result       TEXT,
                error        TEXT,
                attempts     INTEGER NOT NULL,
                started_at   INTEGER,
                completed_at INTEGER,
                PRIMARY KEY (run_id, task_id)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE events (
                id        INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id    TEXT    NOT NULL,
                task_id   TEXT,
                status    TEXT    NOT NULL,
                at        INTEGER NOT NULL,
                attempt   INTEGER NOT NULL,
                error     TEXT
            )
            """,
        ],
        // 2: indexes for the queries
        [
            "CREATE INDEX runs_by_created ON runs (created_at, seq)",
            "CREATE INDEX runs_by_name ON runs (name, created_at, seq)",
            "CREATE INDEX runs_by_status ON runs (status, created_at, seq)",
            "CREATE INDEX runs_by_end ON runs (status, completed_at)",
            "CREATE INDEX tasks_by_task_id ON tasks (task_id)",
            "CREATE INDEX events_by_run ON events (run_id, id)",
        ],
        // 3: run leases (one owning process per running run); expires_at in UTC ticks
        [
            """
            CREATE TABLE leases (
                run_id     TEXT    NOT NULL PRIMARY KEY,
                owner      TEXT    NOT NULL,
                host       TEXT    NOT NULL,
                pid        INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID
            """,
        ],
        // loop tasks: the iteration and every finished iteration's result, {"iteration": n, "history": [...]} (StoreJson)
        [
            "ALTER TABLE tasks ADD COLUMN loop TEXT",
        ],
    ];

    public static int CurrentVersion => Migrations.Length;

    public static long ReadVersion(SqliteConnection connection) => Scalar(connection, "PRAGMA user_version");

    public static long ReadApplicationId(SqliteConnection connection) => Scalar(connection, "PRAGMA application_id");

    /// <summary>Applies the migrations above <c>user_version</c>, up to <paramref name="target"/>. Two processes opening
    /// the same new file at once are serialized by BEGIN IMMEDIATE, and each re-reads the version inside its transaction.</summary>
    public static void Migrate(SqliteConnection connection, string path, int? target = null)
    {
        var upTo = target ?? CurrentVersion;
        while (true)
        {
            Execute(connection, "BEGIN IMMEDIATE");
            try
            {
                var version = ReadVersion(connection);
                if (version > CurrentVersion) throw TooNew(path, version);
                if (version >= upTo)
                {
                    Execute(connection, "COMMIT");
                    return;
                }
                if (version == 0) Execute(connection, $"PRAGMA application_id = {ApplicationId}");
                foreach (var sql in Migrations[version]) Execute(connection, sql);
                Execute(connection, $"PRAGMA user_version = {version + 1}");
                Execute(connection, "COMMIT");
            }
            catch
            {
                RollbackQuietly(connection);
                throw;
            }
        }
    }

    public static GleitzeitException TooNew(string path, long version) =>
        new(GleitzeitErrorCode.PersistenceSchemaTooNew,
            $"The SQLite database '{path}' has schema version {version}, newer than this version of Gleitzeit understands ({CurrentVersion}). " +
            "It was left unchanged. Upgrade Gleitzeit, or point DatabasePath (GLEITZEIT_SQLITE_PATH) at another file.");

    /// <summary>Rolls back the open transaction, if SQLite has not already done so after the failure.</summary>
    public static void RollbackQuietly(SqliteConnection connection)
    {
        try
        {
            Execute(connection, "ROLLBACK");
        }
        catch (SqliteException)
        {
            // No transaction left to roll back: the statement that failed ended it.
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
