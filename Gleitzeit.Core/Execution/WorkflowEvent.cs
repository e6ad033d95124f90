using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>Something that happened in a run, as streamed by <see cref="ExecutionEngine.WatchAsync"/>.</summary>
public abstract record WorkflowEvent(string WorkflowId, DateTimeOffset Timestamp);
