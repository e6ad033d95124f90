using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>Bad input gets a clear error with its code and its line and column; never a crash or a hang.</summary>
public class WorkflowLoaderErrorTests
{
    private static ValidationError Single(WorkflowValidationException ex)
    {
        Assert.That(ex.Errors, Has.Count.EqualTo(1), ex.Message);
        return ex.Errors[0];
    }

    [Test]
    public void Yaml_syntax_error_has_line_and_column()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: [llm/chat\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.StartWith("YAML syntax error"));
        Assert.That(error.Location!.File, Is.EqualTo("test.yaml"));
        Assert.That(error.Location.Line, Is.EqualTo(5), error.ToString());
        Assert.That(error.ToString(), Does.Contain("test.yaml:5:"));
    }

    [Test]
    public void Bad_indentation_is_a_syntax_error_on_its_line()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n   params: {}\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Location!.Line, Is.EqualTo(5), error.ToString());
    }

    [Test]
    public void Empty_text_is_refused()
    {
        var error = Single(Invalid("# only a comment\n"));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.Contain("empty"));
        Assert.That(Where(error), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Missing_tasks_is_reported_at_the_workflow()
    {
        var error = Single(Invalid("name: w\ndescription: nothing to do\n"));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.Contain("no 'tasks:'"));
        Assert.That(Where(error), Is.EqualTo((1, 1)));
    }

    [TestCase("tasks: []\n")]
    [TestCase("tasks:\n")]
    public void Empty_tasks_is_reported_at_the_tasks(string tasks)
    {
        var yaml = "name: w\n" + tasks;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.Contain("empty"));
        Assert.That(error.Location!.Line, Is.EqualTo(2));
    }

    [Test]
    public void Tasks_that_are_not_a_list()
    {
        const string yaml = "name: w\ntasks: \"x\"\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.Contain("'tasks' must be a list").And.Contain("a string"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"x\"")));
    }

    [Test]
    public void A_document_that_is_not_a_mapping()
    {
        var error = Single(Invalid("- a\n- b\n"));

        Assert.That(error.Message, Does.Contain("not a list"));
        Assert.That(Where(error), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Dependencies_of_the_wrong_type()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                dependencies: 5
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.TaskId, Is.EqualTo("a"));
        Assert.That(error.Message, Does.Contain("'dependencies' must be a list of task ids, got a number"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "dependencies: 5", "dependencies: ".Length)));
    }

    [Test]
    public void Params_of_the_wrong_type()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: [1]
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("'params' must be a mapping").And.Contain("a list"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "[1]")));
    }

    [Test]
    public void A_task_that_is_not_a_mapping()
    {
        const string yaml = "name: w\ntasks:\n  - just text\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("task #1 must be a mapping"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "just text")));
    }

    [Test]
    public void Unknown_top_level_key_suggests_the_right_one()
    {
        const string yaml = "name: w\ntaks:\n  - { id: a, method: llm/chat }\n";

        var ex = Invalid(yaml);

        var unknown = ex.Errors.Single(e => e.Message.Contains("unknown key", StringComparison.Ordinal));
        Assert.That(unknown.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(unknown.Message, Does.Contain("unknown key 'taks'").And.Contain("did you mean 'tasks'?"));
        Assert.That(Where(unknown), Is.EqualTo((2, 1)));
    }

    [Test]
    public void Unknown_task_key_suggests_the_right_one()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
              - id: b
                method: llm/chat
                depends: [a]
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.TaskId, Is.EqualTo("b"));
        Assert.That(error.Message, Does.Contain("unknown key 'depends'").And.Contain("did you mean 'depends_on'?"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "depends:")));
    }

    [Test]
    public void Unknown_retry_key()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                retry: { max_attempt: 3 }
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("unknown key 'max_attempt' in retry").And.Contain("did you mean 'max_attempts'?"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "max_attempt")));
    }

    [Test]
    public void Duplicate_key_in_a_mapping()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                method: llm/generate
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("duplicate key 'method'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "method:", occurrence: 1)));
    }

    [Test]
    public void Both_spellings_of_one_key()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: {}
                parameters: {}
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("both 'params' and 'parameters'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "parameters:")));
    }

    [Test]
    public void Wrong_priority_timeout_and_retry_values_are_all_reported()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                priority: soon
                timeout: later
                retry: { max_attempts: many, backoff: linear }
            """;

        var ex = Invalid(yaml);

        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("priority must be low, normal, high, urgent or an integer, got 'soon'"));
        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("'timeout' must be a number of seconds, got 'later'"));
        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("'retry.max_attempts' must be a whole number"));
        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("retry.backoff must be a factor"));
        Assert.That(ex.Errors.Single(e => e.Field == "priority").Location!.Line, Is.EqualTo(5));
        Assert.That(ex.Errors.Single(e => e.Field == "timeout").Location!.Line, Is.EqualTo(6));
    }

    [Test]
    public void A_task_without_a_method()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    params: {}\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("no method"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "id: a")));
    }

    [Test]
    public void Duplicate_task_ids_point_at_the_second()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
              - id: a
                method: llm/chat
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskAlreadyExists));
        Assert.That(error.Message, Does.Contain("duplicate task id 'a'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "id: a", "id: ".Length, occurrence: 1)));
    }

    [Test]
    public void Unknown_dependency_points_at_the_list_item_and_suggests()
    {
        const string yaml = """
            name: w
            tasks:
              - id: fetch
                method: llm/chat
              - id: b
                method: llm/chat
                dependencies: [fetch, fecth]
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.TaskId, Is.EqualTo("b"));
        Assert.That(error.Message, Does.Contain("unknown dependency 'fecth'").And.Contain("did you mean 'fetch'?"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "fecth")));
    }

    [Test]
    public void Self_dependency()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                dependencies:
                  - a
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowCircularDependency));
        Assert.That(error.Message, Does.Contain("depends on itself"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "- a", 2)));
    }

    [Test]
    public void A_cycle_is_named_and_placed()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                dependencies: [b]
              - id: b
                method: llm/chat
                dependencies: [c]
              - id: c
                method: llm/chat
                dependencies: [a]
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowCircularDependency));
        Assert.That(error.Message, Does.Contain("circular dependency: a -> b -> c -> a"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "[b]", 1)));
    }

    [Test]
    public void A_reference_to_a_task_that_is_not_a_dependency()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
              - id: b
                method: llm/chat
                params:
                  messages:
                    - role: user
                      content: "Use ${a.response}"
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Field, Is.EqualTo("parameters.messages[0].content"));
        Assert.That(error.Message, Does.Contain("${a.response} refers to task 'a', which is not a dependency"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"Use")));
    }

    [Test]
    public void A_reference_to_a_task_that_depends_on_the_referrer()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: { prompt: "${b.response}" }
              - id: b
                method: llm/chat
                dependencies: [a]
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("${b.response} refers to task 'b', which is not a dependency"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${b")));
    }

    [Test]
    public void A_reference_to_an_unknown_task()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: { prompt: "${nobody.response}" }
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("unknown task 'nobody'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${nobody")));
    }

    [Test]
    public void A_malformed_reference()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
              - id: b
                method: llm/chat
                dependencies: [a]
                params:
                  prompt: "fine ${a.response}"
                  system: "broken ${a."
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Field, Is.EqualTo("parameters.system"));
        Assert.That(error.Message, Does.Contain("malformed reference in parameter 'system'").And.Contain("unterminated"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"broken")));
    }

    [Test]
    public void An_unknown_input()
    {
        const string yaml = """
            name: w
            inputs: { topic: cats }
            tasks:
              - id: a
                method: llm/chat
                params: { prompt: "${inputs.topik}" }
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("unknown input 'topik'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${inputs")));
    }

    [Test]
    public void Unknown_method_against_the_registry()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                protocol: echo/v1
                method: shout
            """;
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());

        var error = Single(Invalid(yaml, registry));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.MethodNotFound));
        Assert.That(error.Message, Does.Contain("Method 'shout' not found in protocol echo/v1; it has: echo"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "shout")));
    }

    [Test]
    public void Unknown_protocol_against_the_registry()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n";
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());

        var error = Single(Invalid(yaml, registry));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotFound));
        Assert.That(error.Message, Does.Contain("No provider for protocol 'llm/v1'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "llm/chat")));
    }

    [Test]
    public void Wrong_parameter_type_against_the_registry()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: calc/add
                params: { a: "one" }
            """;
        var registry = new ProviderRegistry();
        registry.Register(new TypedProvider());

        var error = Single(Invalid(yaml, registry));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("parameter 'a' must be a number, got a string"));
        Assert.That(error.Location!.Line, Is.EqualTo(5));
    }

    [Test]
    public void Every_problem_is_listed_at_once()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                dependencies: [ghost]
              - id: a
                method: llm/chat
            """;

        var ex = Invalid(yaml);

        Assert.That(ex.Errors.Select(e => e.Code), Is.EquivalentTo(new[] { GleitzeitErrorCode.TaskAlreadyExists, GleitzeitErrorCode.WorkflowValidationFailed }));
        Assert.That(ex.Message, Does.Contain("Invalid workflow (2 problems) in test.yaml"));
        Assert.That(ex.Message, Does.Contain("test.yaml:5:"));
    }

    [Test]
    public void An_alias_bomb_is_refused()
    {
        var yaml = new System.Text.StringBuilder("name: w\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var level = 1; level < 10; level++)
        {
            var prev = ((char)('a' + level - 1)).ToString();
            var name = ((char)('a' + level)).ToString();
            yaml.Append(name).Append(": &").Append(name).Append(" [").Append(string.Join(",", Enumerable.Repeat("*" + prev, 9))).Append("]\n");
        }
        yaml.Append("tasks:\n  - { id: t, method: llm/chat }\n");

        var ex = Invalid(yaml.ToString());

        var error = ex.Errors[0];
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.Contain("alias bomb"));
        Assert.That(error.Location, Is.Not.Null);
    }

    [Test]
    public void An_alias_to_its_own_anchor_is_refused()
    {
        const string yaml = "name: w\nloop: &x [1, *x]\ntasks:\n  - { id: a, method: llm/chat }\n";

        var error = Invalid(yaml).Errors[0];

        Assert.That(error.Message, Does.Contain("alias '*x' names no anchor defined before it"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "*x")));
    }

    [Test]
    public void Deep_nesting_is_refused()
    {
        var yaml = "name: w\ntasks: " + new string('[', 5000) + new string(']', 5000) + "\n";

        var error = Invalid(yaml).Errors[0];

        Assert.That(error.Message, Does.Contain("nested deeper than"));
    }

    [Test]
    public void Text_over_the_size_limit_is_refused()
    {
        var yaml = "name: w\ntasks:\n  - { id: a, method: llm/chat }\n# " + new string('x', 2000) + "\n";

        var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.Parse(yaml, new WorkflowLoaderOptions { MaxFileBytes = 1024 }))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(ex.Message, Does.Contain("over the limit of 1,024 bytes"));
    }

    [Test]
    public void A_file_over_the_size_limit_is_refused_before_it_is_read()
    {
        var file = Path.Combine(Path.GetTempPath(), $"gleitzeit-big-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(file, "name: w\n# " + new string('x', 5000) + "\n");

            var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.LoadFile(file, new WorkflowLoaderOptions { MaxFileBytes = 4096 }))!;

            Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
            Assert.That(ex.Message, Does.Contain("MaxWorkflowFileBytes").And.Contain(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void A_missing_file_names_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gleitzeit-missing-{Guid.NewGuid():N}.yaml");

        var ex = Assert.Throws<GleitzeitException>(() => WorkflowLoader.LoadFile(path))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
        Assert.That(ex.Message, Does.Contain(path));
        Assert.That(ex.InnerException, Is.InstanceOf<FileNotFoundException>());
    }

    [Test]
    public void A_missing_batch_directory_is_named()
    {
        var baseDir = Path.GetTempPath();
        const string yaml = """
            name: w
            type: batch
            batch: { directory: no-such-folder-xyz, pattern: "*.txt" }
            template: { method: llm/chat, prompt: hi }
            """;

        var error = Single(Invalid(yaml, baseDirectory: baseDir));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowValidationFailed));
        Assert.That(error.Message, Does.Contain("batch directory 'no-such-folder-xyz' does not exist").And.Contain(Path.Combine(Path.GetFullPath(baseDir), "no-such-folder-xyz")));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "no-such-folder-xyz")));
    }

    [Test]
    public void A_batch_pattern_matching_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("gleitzeit-loader-");
        try
        {
            const string yaml = """
                name: w
                tasks:
                  - id: a
                    method: llm/chat
                    params: { batch_mode: true, directory: ".", file_pattern: "*.none" }
                """;

            var error = Single(Invalid(yaml, baseDirectory: dir.FullName));

            Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
            Assert.That(error.Message, Does.Contain("no file in '.' matches '*.none'"));
            Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"*.none\"")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void Batch_mode_without_files()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: { batch_mode: true, prompt: hi }
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("batch_mode: true needs the files"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "true")));
    }

    [Test]
    public void A_batch_workflow_without_a_template()
    {
        const string yaml = "name: w\ntype: batch\nbatch: { directory: ., pattern: \"*\" }\n";

        var error = Single(Invalid(yaml, baseDirectory: Path.GetTempPath()));

        Assert.That(error.Message, Does.Contain("needs 'template:'"));
    }

    [Test]
    public void Max_concurrency_must_be_positive()
    {
        const string yaml = "name: w\nmax_concurrency: 0\ntasks:\n  - { id: a, method: llm/chat }\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("max_concurrency must be at least 1"));
        Assert.That(Where(error), Is.EqualTo((2, 18)));
    }

    [Test]
    public void A_reference_to_an_expanded_batch_task_explains_the_expansion()
    {
        const string yaml = """
            name: w
            tasks:
              - id: sum
                method: llm/chat
                params: { batch_mode: true, files: [a.txt, b.txt], prompt: Summarize }
              - id: report
                method: llm/chat
                dependencies: [sum]
                params: { prompt: "${sum.response}" }
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("unknown task 'sum'").And.Contain("expanded into one task per file (sum_1 ... sum_2)"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${sum")));
    }

    /// <summary>A provider whose method declares typed parameters.</summary>
    private sealed class TypedProvider : ITaskProvider
    {
        public ProtocolDescriptor Protocol { get; } = new("calc", "v1", [new MethodDescriptor("calc/add", new ParameterSpec("a", ParameterType.Number, Required: true))]);

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) => ValueTask.FromResult<JsonNode?>(null);

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());
    }
}
