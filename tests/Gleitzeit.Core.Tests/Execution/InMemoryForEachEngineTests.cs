using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.ControlFlow;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary><c>foreach</c> and <c>outputs:</c> with the in-memory store.</summary>
public sealed class InMemoryForEachEngineTests : ForEachEngineTests
{
    protected override ValueTask<IWorkflowStore> CreateStoreAsync() => ValueTask.FromResult<IWorkflowStore>(new InMemoryWorkflowStore());
}

/// <summary><c>workflow/run</c> with the in-memory store.</summary>
public sealed class InMemorySubWorkflowEngineTests : SubWorkflowEngineTests
{
    protected override ValueTask<IWorkflowStore> CreateStoreAsync() => ValueTask.FromResult<IWorkflowStore>(new InMemoryWorkflowStore());
}
