using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>The problems found while reading one workflow file, each placed at its YAML node.</summary>
internal sealed class ReadErrors(string? source)
{
    private readonly List<ValidationError> _errors = [];

    public int Count => _errors.Count;

    /// <summary>The file (or other origin) the errors are in.</summary>
    public string? Source => source;

    public void Add(GleitzeitErrorCode code, string message, YNode? at, string? taskId = null, string? field = null) =>
        _errors.Add(new ValidationError(code, message, taskId, field, at is null ? null : new SourceLocation(source, at.Line, at.Column)));

    public void Add(ValidationError error) => _errors.Add(error);

    public WorkflowValidationException ToException() => new(_errors.ToList(), source);
}
