using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.Persistence;

namespace Gleitzeit.Core.Tests.Persistence;

public sealed class InMemoryWorkflowStoreConformanceTests : WorkflowStoreConformanceTests
{
    protected override ValueTask<IWorkflowStore> CreateStoreAsync() => ValueTask.FromResult<IWorkflowStore>(new InMemoryWorkflowStore());
}
