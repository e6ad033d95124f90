using System.Text;
using Gleitzeit.Core.Definitions.Reading;
using Gleitzeit.Core.Definitions.Yaml;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Definitions;

/// <summary>
/// Loads workflow YAML in every form the original Gleitzeit accepted (see <c>docs/workflow-yaml.md</c>), expands the
/// batch forms, and validates the result. Every problem is reported at once in a <see cref="WorkflowValidationException"/>
/// whose errors carry the line and column in the YAML.
/// </summary>
public static class WorkflowLoader
{
    /// <summary>Loads and validates a workflow file; relative paths inside resolve against the file's directory unless <paramref name="baseDirectory"/> is given.</summary>
    /// <exception cref="GleitzeitException">
    /// <see cref="GleitzeitErrorCode.WorkflowNotFound"/> (-28002) when the file does not exist, with a <see cref="FileNotFoundException"/> inside;
    /// <see cref="WorkflowValidationException"/> when it is too large, not valid YAML, or not a valid workflow.
    /// </exception>
    public static Workflow LoadFile(string path, string? baseDirectory = null, ProviderRegistry? registry = null) =>
        LoadFile(path, new WorkflowLoaderOptions { BaseDirectory = baseDirectory, Registry = registry });

    /// <summary>Loads and validates a workflow file with the given options.</summary>
    /// <inheritdoc cref="LoadFile(string, string?, ProviderRegistry?)" path="/exception"/>
    public static Workflow LoadFile(string path, WorkflowLoaderOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        var full = Path.GetFullPath(path);
        var source = options.SourceName ?? path;
        if (Directory.Exists(full))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound,
                $"Workflow file '{path}' is a directory ({full}): name a .yaml file.", new FileNotFoundException("Not a file.", full));
        }
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound,
                $"Workflow file not found: {full}", new FileNotFoundException($"Workflow file not found: {full}", full));
        }
        if (info.Length > options.MaxFileBytes) throw TooLarge(info.Length, options.MaxFileBytes, source);

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (FileNotFoundException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"Workflow file not found: {full}", ex);
        }
        string text;
        try
        {
            text = YamlText.Decode(bytes);
        }
        catch (YamlTreeException ex)
        {
            throw Located(ex, source);
        }
        var baseDirectory = options.BaseDirectory is null ? info.DirectoryName : Path.GetFullPath(options.BaseDirectory);
        return ParseCore(text, baseDirectory, options.Registry, source, Path.GetFileNameWithoutExtension(full));
    }

    /// <summary>Parses and validates workflow YAML text.</summary>
    /// <exception cref="WorkflowValidationException">The text is too large, not valid YAML, or not a valid workflow.</exception>
    public static Workflow Parse(string yaml, string? baseDirectory = null, ProviderRegistry? registry = null, string? sourceName = null) =>
        Parse(yaml, new WorkflowLoaderOptions { BaseDirectory = baseDirectory, Registry = registry, SourceName = sourceName });

    /// <summary>Parses and validates workflow YAML text with the given options.</summary>
    /// <exception cref="WorkflowValidationException">The text is too large, not valid YAML, or not a valid workflow.</exception>
    public static Workflow Parse(string yaml, WorkflowLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(options);
        if (yaml.Length > options.MaxFileBytes || Encoding.UTF8.GetByteCount(yaml) > options.MaxFileBytes)
        {
            throw TooLarge(Encoding.UTF8.GetByteCount(yaml), options.MaxFileBytes, options.SourceName);
        }
        var baseDirectory = options.BaseDirectory is null ? null : Path.GetFullPath(options.BaseDirectory);
        var defaultName = options.SourceName is null ? null : Path.GetFileNameWithoutExtension(options.SourceName);
        return ParseCore(yaml, baseDirectory, options.Registry, options.SourceName, defaultName);
    }

    private static Workflow ParseCore(string yaml, string? baseDirectory, ProviderRegistry? registry, string? source, string? defaultName)
    {
        YNode? root;
        try
        {
            root = YamlTreeReader.Read(yaml);
        }
        catch (YamlTreeException ex)
        {
            throw Located(ex, source);
        }
        return new WorkflowReader(source, baseDirectory, defaultName).Read(root, registry);
    }

    private static WorkflowValidationException Located(YamlTreeException ex, string? source) =>
        new([new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, ex.Message, Location: new SourceLocation(source, ex.Line, ex.Column))], source);

    private static WorkflowValidationException TooLarge(long size, int limit, string? source) =>
        new([new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed,
            $"the workflow is {size:N0} bytes, over the limit of {limit:N0} bytes: split it, or raise GleitzeitOptions.MaxWorkflowFileBytes")], source);
}
