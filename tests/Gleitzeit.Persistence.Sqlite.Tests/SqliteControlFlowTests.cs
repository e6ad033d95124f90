using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.ControlFlow;

namespace Gleitzeit.Persistence.Sqlite.Tests;

public sealed class SqliteControlFlowTests : ControlFlowEngineTests
{
    private readonly List<TempDirectory> _directories = [];

    protected override ValueTask<IWorkflowStore> CreateStoreAsync()
    {
        var directory = new TempDirectory();
        _directories.Add(directory);
        return ValueTask.FromResult<IWorkflowStore>(new SqliteWorkflowStore(directory.File("store.db")));
    }

    [TearDown]
    public void DeleteDirectories()
    {
        foreach (var d in _directories) d.Dispose();
        _directories.Clear();
    }
}
