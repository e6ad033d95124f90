using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.Persistence;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>The shared store contract, against a real Redis (each test on a key prefix of its own).</summary>
public sealed class RedisWorkflowStoreConformanceTests : WorkflowStoreConformanceTests
{
    protected override ValueTask<IWorkflowStore> CreateStoreAsync() =>
        ValueTask.FromResult<IWorkflowStore>(new RedisWorkflowStore(RedisTestServer.NewOptions("conformance")));
}
