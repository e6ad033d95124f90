using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Definitions;

internal static class LoaderTestSupport
{
    /// <summary>The 1-based line and column where <paramref name="marker"/> occurs in <paramref name="text"/>, plus <paramref name="skip"/> characters.</summary>
    public static (int Line, int Column) PositionOf(string text, string marker, int skip = 0, int occurrence = 0)
    {
        var at = -1;
        for (var i = 0; i <= occurrence; i++)
        {
            at = text.IndexOf(marker, at + 1, StringComparison.Ordinal);
            if (at < 0) throw new ArgumentException($"'{marker}' occurs fewer than {occurrence + 1} times");
        }
        at += skip;
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < at; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, at - lineStart + 1);
    }

    public static (int Line, int Column) Where(ValidationError error)
    {
        Assert.That(error.Location, Is.Not.Null, $"no location on: {error}");
        return (error.Location!.Line, error.Location.Column);
    }

    /// <summary>Parses text expected to be invalid and returns the exception.</summary>
    public static WorkflowValidationException Invalid(string yaml, ProviderRegistry? registry = null, string? baseDirectory = null) =>
        Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.Parse(yaml, baseDirectory, registry, "test.yaml"))!;

    private static ValueTask<JsonNode?> Nothing(TaskInvocation invocation, CancellationToken cancellationToken) => ValueTask.FromResult<JsonNode?>(null);

    /// <summary>Providers for every method the original examples use (stubs: loading only checks routing).</summary>
    public static ProviderRegistry OriginalRegistry()
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("llm/v1", Nothing, "llm/chat", "llm/generate", "llm/vision", "llm/embed"));
        registry.Register(new DelegateProvider("python/v1", Nothing, "python/execute"));
        registry.Register(new DelegateProvider("mcp/v1", Nothing, "mcp/ping", "mcp/tools/list", "mcp/server_info", "tool.*", "mcp/tool.*"));
        registry.Register(DelegateProvider.Echo());
        return registry;
    }

    /// <summary>The original examples (<c>shared/conformance/original-examples</c> above the clone); the test is ignored (skipped) without them.</summary>
    public static string OriginalExamplesDirectory() => TestData.OriginalExamples();

    /// <summary>The repository's own workflow fixtures (<c>tests/fixtures/workflows</c>): every form of the original format.</summary>
    public static string FixturesDirectory() => TestData.Fixtures;
}
