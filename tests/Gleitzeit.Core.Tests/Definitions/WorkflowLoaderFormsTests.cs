using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>Every accepted form of the format becomes the expected model.</summary>
public class WorkflowLoaderFormsTests
{
    private static Workflow Load(string yaml, string? baseDirectory = null) => WorkflowLoader.Parse(yaml, baseDirectory);

    [Test]
    public void Id_is_the_key_and_name_the_display_name()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                name: First task
                method: llm/chat
            """);

        Assert.That(wf.Tasks[0].Id, Is.EqualTo("a"));
        Assert.That(wf.Tasks[0].Name, Is.EqualTo("First task"));
    }

    [Test]
    public void A_task_with_only_a_name_gets_the_name_as_id()
    {
        var wf = Load("""
            name: w
            tasks:
              - name: first
                method: llm/chat
              - name: second
                method: llm/chat
                dependencies: [first]
                params: { prompt: "${first.response}" }
            """);

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "first", "second" }));
        Assert.That(wf.Tasks[0].Name, Is.Null);
    }

    [Test]
    public void Params_and_parameters_are_the_same()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: { prompt: one }
              - id: b
                method: llm/chat
                parameters: { prompt: two }
            """);

        Assert.That((string?)wf.Tasks[0].Parameters["prompt"], Is.EqualTo("one"));
        Assert.That((string?)wf.Tasks[1].Parameters["prompt"], Is.EqualTo("two"));
    }

    [TestCase("llm/chat", "llm/v1")]
    [TestCase("python/execute", "python/v1")]
    [TestCase("tool.echo", "mcp/v1")]
    [TestCase("mcp/tool.echo", "mcp/v1")]
    [TestCase("mcp/tools/list", "mcp/v1")]
    public void Protocol_is_inferred_from_the_method(string method, string protocol)
    {
        var wf = Load($"""
            name: w
            tasks:
              - id: a
                method: "{method}"
            """);

        Assert.That(wf.Tasks[0].Protocol, Is.EqualTo(protocol));
        Assert.That(wf.Tasks[0].Method, Is.EqualTo(method));
    }

    [Test]
    public void An_explicit_protocol_wins()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                protocol: echo/v1
                method: echo
            """);

        Assert.That(wf.Tasks[0].Protocol, Is.EqualTo("echo/v1"));
    }

    [Test]
    public void Dependencies_depends_on_and_a_single_id_are_accepted()
    {
        var wf = Load("""
            name: w
            tasks:
              - { id: a, method: llm/chat }
              - { id: b, method: llm/chat, dependencies: [a] }
              - { id: c, method: llm/chat, depends_on: [a, b] }
              - { id: d, method: llm/chat, depends_on: c }
            """);

        Assert.That(wf.Tasks[1].Dependencies, Is.EqualTo(new[] { "a" }));
        Assert.That(wf.Tasks[2].Dependencies, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(wf.Tasks[3].Dependencies, Is.EqualTo(new[] { "c" }));
    }

    [TestCase("low", TaskPriority.Low)]
    [TestCase("normal", TaskPriority.Normal)]
    [TestCase("high", TaskPriority.High)]
    [TestCase("urgent", TaskPriority.Urgent)]
    [TestCase("HIGH", TaskPriority.High)]
    [TestCase("3", 3)]
    [TestCase("-1", -1)]
    [TestCase("\"2\"", 2)]
    public void Priority_is_a_word_or_an_integer(string text, int expected)
    {
        var wf = Load($"""
            name: w
            tasks:
              - id: a
                method: llm/chat
                priority: {text}
            """);

        Assert.That(wf.Tasks[0].Priority, Is.EqualTo(expected));
    }

    [Test]
    public void Timeouts_are_seconds_at_workflow_and_task_level()
    {
        var wf = Load("""
            name: w
            timeout: 120
            tasks:
              - id: a
                method: llm/chat
                timeout: 2.5
            """);

        Assert.That(wf.Timeout, Is.EqualTo(TimeSpan.FromSeconds(120)));
        Assert.That(wf.Tasks[0].Timeout, Is.EqualTo(TimeSpan.FromSeconds(2.5)));
    }

    [Test]
    public void Retry_reads_every_spelling()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                method: llm/chat
                retry: { max_attempts: 4, delay: 0.5, backoff: 3, max_delay: 10, jitter: false }
              - id: b
                method: llm/chat
                retry: { max_attempts: 2, base_delay: 5, backoff_factor: 1.5 }
              - id: c
                method: llm/chat
                retry: { initial_delay: 2, backoff: exponential }
              - id: d
                method: llm/chat
                retry: { backoff: fixed }
            """);

        Assert.That(wf.Tasks[0].Retry, Is.EqualTo(new RetryPolicy
        {
            MaxAttempts = 4,
            InitialDelay = TimeSpan.FromSeconds(0.5),
            BackoffFactor = 3,
            MaxDelay = TimeSpan.FromSeconds(10),
            Jitter = false,
        }));
        Assert.That(wf.Tasks[1].Retry, Is.EqualTo(new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromSeconds(5), BackoffFactor = 1.5 }));
        Assert.That(wf.Tasks[2].Retry, Is.EqualTo(new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(2), BackoffFactor = 2 }));
        Assert.That(wf.Tasks[3].Retry!.BackoffFactor, Is.EqualTo(1.0));
    }

    [Test]
    public void Provider_or_server_names_the_provider_instance()
    {
        var wf = Load("""
            name: w
            tasks:
              - { id: a, method: tool.echo, provider: everything }
              - { id: b, method: tool.echo, server: other }
            """);

        Assert.That(wf.Tasks[0].Provider, Is.EqualTo("everything"));
        Assert.That(wf.Tasks[1].Provider, Is.EqualTo("other"));
    }

    [Test]
    public void Top_level_fields_are_read_and_compatibility_keys_accepted()
    {
        var wf = Load("""
            name: My workflow
            description: Does things
            version: 1.0
            timeout: 60
            max_concurrency: 3
            wait_for_completion: true
            type: workflow
            metadata: { owner: me, tags: [a, b] }
            inputs:
              topic: cats
              count: 3
            tasks:
              - id: a
                method: llm/chat
                params:
                  prompt: "Write about ${inputs.topic}"
            """);

        Assert.That(wf.Name, Is.EqualTo("My workflow"));
        Assert.That(wf.Description, Is.EqualTo("Does things"));
        Assert.That(wf.Version, Is.EqualTo("1.0"));
        Assert.That(wf.Timeout, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(wf.MaxConcurrency, Is.EqualTo(3));
        Assert.That((string?)wf.Inputs["topic"], Is.EqualTo("cats"));
        Assert.That((long?)wf.Inputs["count"], Is.EqualTo(3));
    }

    [Test]
    public void Scalars_keep_their_yaml_types_and_quoted_text_stays_text()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                method: python/execute
                params:
                  int: 5
                  quoted: "5"
                  single: '5'
                  float: 0.7
                  negative: -3
                  big: 12345678901234567890
                  yes_word: yes
                  bool: true
                  quoted_bool: "true"
                  nothing: null
                  tilde: ~
                  empty:
                  text: hello
                  date_like: 2024-01-01
                  hex: 0x1F
                  block: |
                    line one
                    line two
                  tagged: !!str 42
            """);

        var p = wf.Tasks[0].Parameters;
        Assert.That(p["int"]!.GetValueKind(), Is.EqualTo(JsonValueKind.Number));
        Assert.That((long?)p["int"], Is.EqualTo(5));
        Assert.That((string?)p["quoted"], Is.EqualTo("5"));
        Assert.That((string?)p["single"], Is.EqualTo("5"));
        Assert.That((double?)p["float"], Is.EqualTo(0.7));
        Assert.That((long?)p["negative"], Is.EqualTo(-3));
        Assert.That(p["big"]!.GetValueKind(), Is.EqualTo(JsonValueKind.Number));
        Assert.That((bool?)p["yes_word"], Is.True);
        Assert.That((bool?)p["bool"], Is.True);
        Assert.That((string?)p["quoted_bool"], Is.EqualTo("true"));
        Assert.That(p.ContainsKey("nothing") && p["nothing"] is null, Is.True);
        Assert.That(p["tilde"], Is.Null);
        Assert.That(p["empty"], Is.Null);
        Assert.That((string?)p["text"], Is.EqualTo("hello"));
        Assert.That((string?)p["date_like"], Is.EqualTo("2024-01-01"));
        Assert.That((long?)p["hex"], Is.EqualTo(31));
        Assert.That((string?)p["block"], Is.EqualTo("line one\nline two\n"));
        Assert.That((string?)p["tagged"], Is.EqualTo("42"));
    }

    [Test]
    public void Anchors_aliases_and_merge_keys_work()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: &common
                  model: llama3.2
                  temperature: 0.2
              - id: b
                method: llm/chat
                params:
                  <<: *common
                  temperature: 0.9
            """);

        Assert.That((string?)wf.Tasks[1].Parameters["model"], Is.EqualTo("llama3.2"));
        Assert.That((double?)wf.Tasks[1].Parameters["temperature"], Is.EqualTo(0.9));
        Assert.That((double?)wf.Tasks[0].Parameters["temperature"], Is.EqualTo(0.2));
    }

    [Test]
    public void Escaped_reference_is_not_a_reference()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: { prompt: "Literal $${not.a.reference}" }
            """);

        Assert.That((string?)wf.Tasks[0].Parameters["prompt"], Is.EqualTo("Literal $${not.a.reference}"));
        Assert.That(wf.Tasks[0].Dependencies, Is.Empty);
    }

    [Test]
    public void Load_file_sets_the_base_directory_to_the_file_directory_unless_given()
    {
        var dir = Directory.CreateTempSubdirectory("gleitzeit-loader-");
        try
        {
            var file = Path.Combine(dir.FullName, "flow.yaml");
            File.WriteAllText(file, "tasks:\n  - { id: a, method: llm/chat }\n");

            var fromFile = WorkflowLoader.LoadFile(file);
            var explicitBase = WorkflowLoader.LoadFile(file, Path.GetTempPath());

            Assert.That(fromFile.BaseDirectory, Is.EqualTo(dir.FullName));
            Assert.That(fromFile.Name, Is.EqualTo("flow"), "a file without 'name:' is named after the file");
            Assert.That(explicitBase.BaseDirectory, Is.EqualTo(Path.GetFullPath(Path.GetTempPath())));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void Batch_mode_with_a_directory_and_pattern_scans_relative_to_the_base_directory()
    {
        var dir = Directory.CreateTempSubdirectory("gleitzeit-loader-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "sub"));
            foreach (var f in new[] { "b.txt", "a.txt", "c.md", "sub/d.txt" }) File.WriteAllText(Path.Combine(dir.FullName, "docs", f), f);

            var wf = Load("""
                name: w
                tasks:
                  - id: read
                    method: python/execute
                    params:
                      batch_mode: true
                      directory: docs
                      file_pattern: "**/*.txt"
                      code: "result = open(file_path).read()"
                  - id: after
                    method: llm/chat
                    dependencies: [read]
                """, dir.FullName);

            Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "read_1", "read_2", "read_3", "after" }));
            Assert.That(wf.Tasks.Take(3).Select(t => (string?)t.Parameters["context"]!["file_path"]), Is.EqualTo(new[] { "docs/a.txt", "docs/b.txt", "docs/sub/d.txt" }));
            Assert.That(wf.Tasks[0].Parameters.ContainsKey("directory"), Is.False);
            Assert.That(wf.Tasks[0].Parameters.ContainsKey("file_pattern"), Is.False);
            Assert.That(wf.Tasks[3].Dependencies, Is.EqualTo(new[] { "read_1", "read_2", "read_3" }));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void Batch_workflow_accepts_several_patterns_and_template_params()
    {
        var dir = Directory.CreateTempSubdirectory("gleitzeit-loader-");
        try
        {
            foreach (var f in new[] { "x.png", "y.jpg", "z.txt" }) File.WriteAllText(Path.Combine(dir.FullName, f), f);

            var wf = Load("""
                name: pictures
                type: batch
                batch: { directory: ".", pattern: "*.png; *.jpg" }
                template:
                  id: look
                  method: llm/vision
                  prompt: Describe it
                  priority: high
                """, dir.FullName);

            Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "look_1", "look_2" }));
            Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["image_path"]), Is.EqualTo(new[] { "x.png", "y.jpg" }));
            Assert.That((string?)wf.Tasks[0].Parameters["prompt"], Is.EqualTo("Describe it"));
            Assert.That(wf.Tasks[0].Parameters.ContainsKey("priority"), Is.False);
            Assert.That(wf.Tasks[0].Priority, Is.EqualTo(TaskPriority.High));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void Batch_mode_false_is_an_ordinary_task()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: { batch_mode: false, files: [x.txt] }
            """);

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "a" }));
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("batch_mode"), Is.False);
        Assert.That(wf.Tasks[0].Parameters["files"], Is.InstanceOf<JsonArray>());
    }

    [Test]
    public void A_reference_may_name_a_transitive_dependency()
    {
        var wf = Load("""
            name: w
            tasks:
              - { id: a, method: llm/chat }
              - { id: b, method: llm/chat, dependencies: [a] }
              - { id: c, method: llm/chat, dependencies: [b], params: { prompt: "${a.response} and ${b.response}" } }
            """);

        Assert.That(wf.Tasks, Has.Count.EqualTo(3));
    }

    [Test]
    public void A_long_chain_where_every_task_reads_the_first_validates()
    {
        var yaml = new System.Text.StringBuilder("name: chain\ntasks:\n  - { id: t0, method: llm/chat }\n");
        for (var i = 1; i < 3000; i++)
        {
            yaml.Append($"  - {{ id: t{i}, method: llm/chat, dependencies: [t{i - 1}], params: {{ prompt: \"${{t0.response}}\" }} }}\n");
        }

        var wf = Load(yaml.ToString());

        Assert.That(wf.Tasks, Has.Count.EqualTo(3000));
    }

    [Test]
    public void A_repeated_dependency_counts_once()
    {
        var wf = Load("""
            name: w
            tasks:
              - { id: a, method: llm/chat }
              - { id: b, method: llm/chat, dependencies: [a, a] }
            """);

        Assert.That(wf.Tasks[1].Dependencies, Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void File_placeholders_in_a_batch_template_name_each_file()
    {
        var wf = Load("""
            name: w
            tasks:
              - id: read
                method: llm/chat
                params:
                  batch_mode: true
                  files: [docs/a.txt, docs/b.txt]
                  prompt: "Summarise ${file_name} (at ${file_path}); keep $${file_path} literal"
            """);

        Assert.That((string?)wf.Tasks[1].Parameters["prompt"], Is.EqualTo("Summarise b.txt (at docs/b.txt); keep $${file_path} literal"));
    }
}
