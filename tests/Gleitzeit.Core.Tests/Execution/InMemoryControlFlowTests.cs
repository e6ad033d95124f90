using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.ControlFlow;

namespace Gleitzeit.Core.Tests.Execution;

public sealed class InMemoryControlFlowTests : ControlFlowEngineTests
{
    protected override ValueTask<IWorkflowStore> CreateStoreAsync() => ValueTask.FromResult<IWorkflowStore>(new InMemoryWorkflowStore());
}
