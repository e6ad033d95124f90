using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A run started.</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the run started.</param>
/// <param name="Name">The workflow's name.</param>
/// <param name="TaskCount">How many tasks the workflow has.</param>
public sealed record WorkflowStarted(string WorkflowId, DateTimeOffset Timestamp, string Name, int TaskCount) : WorkflowEvent(WorkflowId, Timestamp);
