using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Definitions;

/// <summary>How <see cref="WorkflowLoader"/> reads a workflow.</summary>
public sealed class WorkflowLoaderOptions
{
    /// <summary>
    /// Directory that relative paths in the workflow (batch directories, <c>file_path</c>, <c>file</c>) resolve against;
    /// becomes <see cref="Workflow.BaseDirectory"/>. Default: the file's directory (<see cref="WorkflowLoader.LoadFile(string, WorkflowLoaderOptions)"/>),
    /// or none for text (<see cref="WorkflowLoader.Parse(string, WorkflowLoaderOptions)"/>: the current directory at run time).
    /// </summary>
    public string? BaseDirectory { get; set; }

    /// <summary>When set, every task's method must exist in it and its parameters must have the declared types. Default: null (not checked).</summary>
    public ProviderRegistry? Registry { get; set; }

    /// <summary>Largest workflow file (UTF-8 bytes) accepted. Default: 4 MiB, as <see cref="GleitzeitOptions.MaxWorkflowFileBytes"/>.</summary>
    public int MaxFileBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Name of the text's origin used in error messages (a file name); <see cref="WorkflowLoader.LoadFile(string, WorkflowLoaderOptions)"/> sets the path.</summary>
    public string? SourceName { get; set; }
}
