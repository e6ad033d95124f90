using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>
/// Checks <see cref="SqliteStoreOptions"/>, listing every problem at once: run by the container on start
/// (<c>ValidateOnStart</c>) and by the <see cref="SqliteWorkflowStore"/> constructor.
/// </summary>
internal sealed class SqliteStoreOptionsValidator : OptionsValidator<SqliteStoreOptions>
{
    public static readonly SqliteStoreOptionsValidator Instance = new();

    public override IEnumerable<string> Problems(SqliteStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DatabasePath)) yield return "SqliteStoreOptions.DatabasePath must name a file.";
        if (options.BusyTimeout < TimeSpan.Zero) yield return $"SqliteStoreOptions.BusyTimeout must not be negative (got {options.BusyTimeout}).";
        if (options.MaxBatchSize < 1) yield return $"SqliteStoreOptions.MaxBatchSize must be at least 1 (got {options.MaxBatchSize}).";
        if (!Enum.IsDefined(options.Synchronous)) yield return $"SqliteStoreOptions.Synchronous must be Normal or Full (got {options.Synchronous}).";
    }
}
