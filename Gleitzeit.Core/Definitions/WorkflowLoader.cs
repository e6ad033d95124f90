using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Definitions;

/// <summary>Loads workflow YAML in every form the original Gleitzeit accepted, and validates it.</summary>
public static class WorkflowLoader
{
    /// <summary>Loads and validates a workflow file; relative paths inside resolve against the file's directory unless <paramref name="baseDirectory"/> is given.</summary>
    public static Workflow LoadFile(string path, string? baseDirectory = null, ProviderRegistry? registry = null) =>
        throw new NotImplementedException("WorkflowLoader is being written (issue 2).");

    /// <summary>Parses and validates workflow YAML text.</summary>
    public static Workflow Parse(string yaml, string? baseDirectory = null, ProviderRegistry? registry = null, string? sourceName = null) =>
        throw new NotImplementedException("WorkflowLoader is being written (issue 2).");
}
