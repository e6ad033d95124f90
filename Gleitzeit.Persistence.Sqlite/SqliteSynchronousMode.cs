namespace Gleitzeit.Persistence.Sqlite;

/// <summary>SQLite's <c>PRAGMA synchronous</c> settings that are safe with WAL.</summary>
public enum SqliteSynchronousMode
{
    /// <summary>Commits survive a process crash; the last ones may be lost on power failure.</summary>
    Normal,

    /// <summary>Every commit is flushed to the disk: survives power failure.</summary>
    Full,
}
