using Gleitzeit.Core;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>Turns SQLite's failures into <see cref="GleitzeitException"/>s that name the file and say what to do.</summary>
internal static class SqliteErrors
{
    private const int Corrupt = 11, NotADatabase = 26, CantOpen = 14, ReadOnly = 8, Full = 13, Busy = 5, Locked = 6, IoError = 10, Permission = 3;

    public static GleitzeitException Map(SqliteException ex, string path, bool writing)
    {
        switch (ex.SqliteErrorCode)
        {
            case Corrupt or NotADatabase:
                return Corrupted(path, ex);
            case CantOpen or Permission:
                return new GleitzeitException(GleitzeitErrorCode.PersistenceConnectionFailed,
                    $"Cannot open the SQLite database '{path}': {ex.Message}. Check that the directory exists and is writable, or choose another path (DatabasePath, GLEITZEIT_SQLITE_PATH).", ex);
            case ReadOnly:
                return new GleitzeitException(GleitzeitErrorCode.PersistenceWriteFailed,
                    $"The SQLite database '{path}' is read-only: {ex.Message}. Make the file and its directory writable, or choose another path.", ex);
            case Full:
                return new GleitzeitException(GleitzeitErrorCode.PersistenceWriteFailed, $"The disk holding the SQLite database '{path}' is full: {ex.Message}.", ex);
            case Busy or Locked:
                return new GleitzeitException(GleitzeitErrorCode.PersistenceConnectionFailed,
                    $"The SQLite database '{path}' stayed locked by another connection past the busy timeout: {ex.Message}.", ex);
            case IoError:
                return new GleitzeitException(writing ? GleitzeitErrorCode.PersistenceWriteFailed : GleitzeitErrorCode.PersistenceReadFailed,
                    $"I/O error on the SQLite database '{path}': {ex.Message}.", ex);
            default:
                return new GleitzeitException(writing ? GleitzeitErrorCode.PersistenceWriteFailed : GleitzeitErrorCode.PersistenceReadFailed,
                    $"SQLite database '{path}': {ex.Message}", ex);
        }
    }

    public static GleitzeitException Corrupted(string path, Exception? inner = null, string? detail = null) =>
        new(GleitzeitErrorCode.PersistenceCorrupted,
            $"The file '{path}' is not a usable Gleitzeit SQLite database ({detail ?? inner?.Message ?? "corrupted"}). " +
            "Move it aside (or restore a backup) and a new database is created in its place.", inner);
}
