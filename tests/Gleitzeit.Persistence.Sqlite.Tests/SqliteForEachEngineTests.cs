using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.ControlFlow;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary><c>foreach</c> and <c>outputs:</c> with the SQLite store.</summary>
public sealed class SqliteForEachEngineTests : ForEachEngineTests
{
    private TempDirectory? _directory;

    protected override ValueTask<IWorkflowStore> CreateStoreAsync()
    {
        _directory = new TempDirectory();
        return ValueTask.FromResult<IWorkflowStore>(new SqliteWorkflowStore(_directory.File("store.db")));
    }

    [TearDown]
    public void DeleteDirectory()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory?.Dispose();
    }
}

/// <summary><c>workflow/run</c> with the SQLite store.</summary>
public sealed class SqliteSubWorkflowEngineTests : SubWorkflowEngineTests
{
    private TempDirectory? _directory;

    protected override ValueTask<IWorkflowStore> CreateStoreAsync()
    {
        _directory = new TempDirectory();
        return ValueTask.FromResult<IWorkflowStore>(new SqliteWorkflowStore(_directory.File("store.db")));
    }

    [TearDown]
    public void DeleteDirectory()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory?.Dispose();
    }
}
