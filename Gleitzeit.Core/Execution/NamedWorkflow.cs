namespace Gleitzeit.Core.Execution;

/// <summary>A workflow registered by name through <c>AddWorkflow</c>, handed to the engine when it is built.</summary>
internal sealed record NamedWorkflow(string Name, Workflow Workflow);
