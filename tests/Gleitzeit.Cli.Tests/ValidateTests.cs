namespace Gleitzeit.Cli.Tests;

/// <summary><c>validate FILE</c> and invalid workflows given to <c>run</c>: every problem with line:column, exit 2.</summary>
public sealed class ValidateTests
{
    private const string Invalid = """
        name: bad
        tasks:
          - id: a
            method: python/execute
            dependencies: [zz]
            parameters: { code: "result = 1" }
          - id: a
            method: python/execute
            parameters: { code: "result = 2" }
        """;

    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Validate_lists_every_problem_with_file_line_and_column_and_exits_2()
    {
        var file = _cli.WriteFile("bad.yaml", Invalid);

        var result = await _cli.RunAsync("validate", "bad.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain($"{file}:5:20: task 'a', dependencies[0]: unknown dependency 'zz'"));
        Assert.That(result.StdErr, Does.Contain($"{file}:7:9: task 'a', id: duplicate task id 'a'"));
        Assert.That(result.StdErr, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task Validate_json_carries_each_error_with_its_position()
    {
        var file = _cli.WriteFile("bad.yaml", Invalid);

        var result = await _cli.RunAsync("validate", "bad.yaml", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        var json = result.Json();
        Assert.That((bool)json["valid"]!, Is.False);
        Assert.That((string)json["file"]!, Is.EqualTo(file));
        var errors = json["errors"]!.AsArray();
        var dependency = errors.Single(e => (string?)e!["field"] == "dependencies[0]")!;
        Assert.Multiple(() =>
        {
            Assert.That((int)dependency["line"]!, Is.EqualTo(5));
            Assert.That((int)dependency["column"]!, Is.EqualTo(20));
            Assert.That((string)dependency["task_id"]!, Is.EqualTo("a"));
            Assert.That((int)dependency["code"]!, Is.EqualTo(-28001));
            Assert.That((string)dependency["code_name"]!, Is.EqualTo("WORKFLOW_VALIDATION_FAILED"));
            Assert.That(errors.Any(e => (string?)e!["field"] == "id" && (int)e["line"]! == 7), Is.True);
        });
    }

    [Test]
    public async Task Yaml_syntax_errors_exit_2_with_line_and_column()
    {
        var file = _cli.WriteFile("broken.yaml", "name: x\ntasks: [\n");

        var result = await _cli.RunAsync("validate", "broken.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Match(System.Text.RegularExpressions.Regex.Escape(file) + @":\d+:\d+: YAML syntax error"));
    }

    [Test]
    public async Task Run_of_an_invalid_workflow_exits_2_before_anything_runs_listing_every_problem()
    {
        var file = _cli.WriteFile("bad.yaml", Invalid);

        var result = await _cli.RunAsync("run", "bad.yaml", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdOut, Is.Empty);
        Assert.That(result.StdErr, Does.Contain($"{file}:5:20").And.Contain($"{file}:7:9"));
    }
}
