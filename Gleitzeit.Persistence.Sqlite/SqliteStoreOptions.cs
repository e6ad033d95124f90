namespace Gleitzeit.Persistence.Sqlite;

/// <summary>Settings of <see cref="SqliteWorkflowStore"/>, set through <c>AddSqlite(o => ...)</c>.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file. A leading <c>~</c> is the user's home directory; the directory is created when missing.
    /// Default: <c>~/.gleitzeit/gleitzeit.db</c>.</summary>
    public string DatabasePath { get; set; } = DefaultDatabasePath;

    /// <summary>How long a statement waits for another process's lock on the file before it fails. Default: 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When a commit reaches the disk. <see cref="SqliteSynchronousMode.Normal"/> (the default, with WAL): a committed
    /// transaction survives the process being killed, but the last transactions may be lost if the machine loses power.
    /// <see cref="SqliteSynchronousMode.Full"/>: every commit is flushed to the disk, which survives power loss and is slower.
    /// </summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>Most writes committed together in one transaction (group commit). Default: 4096.</summary>
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>The CLI's and the default location: <c>~/.gleitzeit/gleitzeit.db</c>.</summary>
    public const string DefaultDatabasePath = "~/.gleitzeit/gleitzeit.db";

    /// <summary>Expands a leading <c>~</c> and makes the path absolute.</summary>
    public static string ResolvePath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        {
            path = Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/', '\\'));
        }
        return Path.GetFullPath(path);
    }
}
