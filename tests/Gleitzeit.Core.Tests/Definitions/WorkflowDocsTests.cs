using System.Text.RegularExpressions;
using Gleitzeit.Core.Definitions;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>The workflows shown in docs/workflow-yaml.md load as the page says.</summary>
public class WorkflowDocsTests
{
    private static string? _repository;

    private static List<string> WorkflowBlocks()
    {
        string? file = null;
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null && file is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "workflow-yaml.md");
            if (File.Exists(candidate)) (file, _repository) = (candidate, dir.FullName);
        }
        Assert.That(file, Is.Not.Null, "docs/workflow-yaml.md not found above the test directory");
        return Regex.Matches(File.ReadAllText(file!), "```yaml\n(.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value)
            .Where(b => b.Contains("tasks:", StringComparison.Ordinal) || b.Contains("type: batch", StringComparison.Ordinal))
            .ToList();
    }

    [Test]
    public void Every_workflow_example_in_the_yaml_reference_loads()
    {
        var blocks = WorkflowBlocks();
        Assert.That(blocks, Has.Count.EqualTo(3));
        var root = _repository!;   // the batch example scans examples/documents of the repository

        var counts = blocks.Select(b => WorkflowLoader.Parse(b, root, OriginalRegistry()).Tasks.Count).ToList();

        Assert.That(counts, Is.EqualTo(new[] { 3, 4, 3 }));
    }
}
