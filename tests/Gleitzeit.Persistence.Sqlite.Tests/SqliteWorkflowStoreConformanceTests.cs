using Gleitzeit.Core.Persistence;
using Gleitzeit.Persistence.Sqlite;
using Gleitzeit.Testing.Persistence;

namespace Gleitzeit.Persistence.Sqlite.Tests;

public sealed class SqliteWorkflowStoreConformanceTests : WorkflowStoreConformanceTests
{
    private TempDirectory? _directory;

    protected override ValueTask<IWorkflowStore> CreateStoreAsync()
    {
        _directory = new TempDirectory();
        return ValueTask.FromResult<IWorkflowStore>(new SqliteWorkflowStore(_directory.File("store.db")));
    }

    [TearDown]
    public void DeleteDirectory() => _directory?.Dispose();
}
