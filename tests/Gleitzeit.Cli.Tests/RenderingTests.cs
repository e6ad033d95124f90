using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Spectre.Console.Testing;

namespace Gleitzeit.Cli.Tests;

/// <summary>The live view and rich tables drawn with Spectre's test console at standard terminal widths: ids, states,
/// attempts and times never wrap, free text is cut with an ellipsis, no line is wider than the terminal.</summary>
public sealed class RenderingTests
{
    private static readonly string[] TaskIds = ["make_numbers", "sum_numbers", "describe_the_numbers", "report"];

    private static RunProgress RunningWorkflow()
    {
        var output = new Output(TextWriter.Null, TextWriter.Null, rich: true, json: false);
        var progress = new RunProgress(output, watch: false, TaskIds);
        var at = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        var longAnswer = string.Join(' ', Enumerable.Repeat("The numbers add up to a surprisingly large total.", 6));
        progress.OnEvent(new TaskStarted("wf-1", at, "make_numbers", 1));
        progress.OnEvent(new TaskCompleted("wf-1", at, "make_numbers", new JsonObject { ["result"] = new JsonArray(1, 2, 3) }, 1, TimeSpan.FromMilliseconds(1234)));
        progress.OnEvent(new TaskStarted("wf-1", at, "sum_numbers", 2));
        progress.OnEvent(new TaskCompleted("wf-1", at, "sum_numbers", new JsonObject { ["response"] = longAnswer }, 2, TimeSpan.FromSeconds(12.5)));
        progress.OnEvent(new TaskStarted("wf-1", at, "describe_the_numbers", 1));
        progress.OnEvent(new TaskProgress("wf-1", at, "describe_the_numbers", TaskProgressKind.Token, longAnswer));
        return progress;
    }

    private static List<string> Render(Spectre.Console.Rendering.IRenderable renderable, int width)
    {
        var console = new TestConsole().Width(width);
        console.Write(renderable);
        return console.Lines.Where(l => l.Trim().Length > 0).ToList();
    }

    [TestCase(60)]
    [TestCase(80)]
    [TestCase(120)]
    [TestCase(200)]
    public void Live_view_keeps_every_task_on_one_line_and_fits_the_width(int width)
    {
        var lines = Render(LiveRunView.Build(RunningWorkflow(), width, new DateTimeOffset(2026, 11, 26, 10, 0, 3, TimeSpan.Zero)), width);

        Assert.That(lines, Has.All.Matches<string>(l => l!.Length <= width), string.Join('\n', lines));
        foreach (var (id, state) in new[] { ("make_numbers", "completed"), ("sum_numbers", "completed"), ("describe_the_numbers", "● running"), ("report", "pending") })
        {
            var line = lines.SingleOrDefault(l => l.Contains(id, StringComparison.Ordinal));
            Assert.That(line, Is.Not.Null, $"'{id}' whole on one line at {width} columns:\n{string.Join('\n', lines)}");
            Assert.That(line, Does.Contain(state));
        }
        Assert.That(lines.Single(l => l.Contains("sum_numbers", StringComparison.Ordinal)), Does.Contain("12.5s").And.Contain(" 2 "));
        // Header, four tasks, and at most three border lines: nothing wrapped onto extra lines.
        Assert.That(lines, Has.Count.LessThanOrEqualTo(8), string.Join('\n', lines));
        if (width < 200)
        {
            Assert.That(lines.Single(l => l.Contains("sum_numbers", StringComparison.Ordinal)), Does.Contain("…"), "a long answer is cut with an ellipsis");
        }
    }

    [TestCase(80)]
    [TestCase(200)]
    public void Live_view_shows_a_waiting_task_distinctly_with_the_commands_that_answer_it(int width)
    {
        var progress = RunningWorkflow();
        var at = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        progress.OnEvent(new TaskWaiting("wf-1", at, "report", "human/approval", "Publish the report?", null, null));

        var lines = Render(LiveRunView.Build(progress, width, at), width);

        Assert.That(lines.Single(l => l.Contains("report", StringComparison.Ordinal) && l.Contains('│')), Does.Contain("⏸ waiting"), string.Join('\n', lines));
        var text = string.Join(' ', lines.Select(l => l.Trim()));
        Assert.That(text, Does.Contain("task report waits for approval: Publish the report?"));
        Assert.That(text, Does.Contain("gleitzeit workflow approve wf-1 report [--comment TEXT]"));

        progress.OnEvent(new TaskAnswered("wf-1", at, "report", new JsonObject { ["approved"] = true }, "ann", false));
        var after = Render(LiveRunView.Build(progress, width, at), width);
        Assert.That(string.Join(' ', after), Does.Not.Contain("gleitzeit workflow approve"), "an answered task is no longer shown as awaited");
    }

    [Test]
    public void A_wait_for_a_rate_limit_is_printed_and_shown_on_the_tasks_line()
    {
        var plain = new StringWriter();
        var printed = new RunProgress(new Output(plain, TextWriter.Null, rich: false, json: false), watch: false, TaskIds);
        var live = RunningWorkflow();
        var at = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        var wait = new TaskRateLimited("wf-1", at, "report", "ollama", TimeSpan.FromMilliseconds(1500));

        printed.OnEvent(wait);
        live.OnEvent(wait);
        var lines = Render(LiveRunView.Build(live, 120, at), 120);

        Assert.That(plain.ToString(), Does.Contain("report waiting 1.5s for the ollama rate limit (no attempt counted)"));
        Assert.That(lines.Single(l => l.Contains("report", StringComparison.Ordinal) && l.Contains('│')), Does.Contain("waiting for the ollama rate limit"), string.Join('\n', lines));
    }

    [TestCase(60)]
    [TestCase(80)]
    [TestCase(120)]
    [TestCase(200)]
    public void Run_list_never_splits_a_run_id(int width)
    {
        var ids = new[] { "wf-01a217703d0a7fe982ec9d459843fb87", "wf-01a2177603a976d7bdbec70e9417405a" };
        var columns = new[] { new Column("id"), new Column("name", ColumnKind.Text), new Column("status"), new Column("tasks"), new Column("created", ColumnKind.Optional), new Column("duration", ColumnKind.Optional) };
        var rows = ids.Select(id => (IReadOnlyList<string>)[id, "a workflow with a rather long descriptive name", "completed", "12/13 (1 failed)", "2026-11-26 10:37:13", "216ms"]).ToList();

        var lines = Render(RichConsole.BuildTable(columns, rows, width), width);

        Assert.That(lines, Has.All.Matches<string>(l => l!.Length <= width), string.Join('\n', lines));
        foreach (var id in ids)
        {
            Assert.That(lines.Count(l => l.Contains(id, StringComparison.Ordinal) && l.Contains(" completed ", StringComparison.Ordinal) && l.Contains("12/13", StringComparison.Ordinal)), Is.EqualTo(1), string.Join('\n', lines));
        }
        Assert.That(lines, Has.Count.LessThanOrEqualTo(2 + 4), string.Join('\n', lines));
    }

    [TestCase(40)]
    [TestCase(30)]
    public void When_even_the_fixed_columns_do_not_fit_nothing_wraps_and_the_id_stays_whole(int width)
    {
        var columns = new[] { new Column("id"), new Column("status"), new Column("tasks") };
        var lines = Render(RichConsole.BuildTable(columns, [["wf-01a217703d", "completed", "12/13 (1 failed)"]], width), width);

        Assert.That(lines, Has.Count.EqualTo(2), string.Join('\n', lines));
        Assert.That(lines, Has.All.Matches<string>(l => l!.Length <= width), string.Join('\n', lines));
        Assert.That(lines[1], Does.StartWith("wf-01a217703d "));
    }

    [Test]
    public void A_table_that_fits_is_drawn_whole_with_borders()
    {
        var lines = Render(RichConsole.BuildTable(Column.FromHeaders(["id", "result"]), [["a", "short"]], 80), 80);

        Assert.That(lines, Has.Count.EqualTo(5), string.Join('\n', lines));
        Assert.That(lines[0], Does.StartWith("╭"));
        Assert.That(lines[3], Does.Contain(" a ").And.Contain("short").And.Not.Contain("…"));
    }

    [Test]
    public void Escape_sequences_in_a_cell_are_shown_not_obeyed()
    {
        var console = new TestConsole().Width(100).EmitAnsiSequences();
        console.Write(RichConsole.BuildTable(Column.FromHeaders(["task", "output"]), [["t", "\u001b]52;c;ZXZpbA==\u0007\u001b[2Jgone"]], 100));

        var cell = console.Output.Split('\n').Single(l => l.Contains("gone", StringComparison.Ordinal));
        // Ordinal: a culture-aware comparison ignores control characters.
        Assert.That(cell.Contains('\u001b', StringComparison.Ordinal) || cell.Contains('\u0007', StringComparison.Ordinal), Is.False, cell);
        Assert.That(console.Output, Does.Contain("\\x1B]52;c;ZXZpbA==\\x07\\x1B[2Jgone"));
    }

    [TestCase("\u001b[2J", "\\x1B[2J")]
    [TestCase("\u001b]52;c;aGk=\u0007", "\\x1B]52;c;aGk=\\x07")]
    [TestCase("\u001b[8mhidden\u001b[0m", "\\x1B[8mhidden\\x1B[0m")]
    [TestCase("done\rfake", "done\\x0Dfake")]
    [TestCase("\u009b2J", "\\x9B2J")]
    [TestCase("a\u202eb", "a\\u202Eb")]
    [TestCase("a\bb\u007f", "a\\x08b\\x7F")]
    [TestCase("line one\nline two\tend", "line one\nline two\tend")]
    [TestCase("crlf\r\nnext", "crlf\nnext")]
    [TestCase("plain é 日本", "plain é 日本")]
    public void Control_characters_are_made_visible(string text, string expected) =>
        Assert.That(TerminalText.Sanitize(text), Is.EqualTo(expected));

    [TestCase("No provider for protocol 'mcp/v1' (registered: llm/v1 (ollama), python/v1). Add one with services.AddGleitzeit().AddMcp(...) and configure a server.", "providers.mcp.servers")]
    [TestCase("No provider for protocol 'llm/v1' (registered: python/v1). Add one with services.AddGleitzeit().AddOllama() (or register an IChatClient).", "providers.ollama.url")]
    [TestCase("Cannot connect to Ollama at http://x/ (refused): is `ollama serve` running at http://x/? Start it, or point OllamaOptions.Endpoint (GLEITZEIT_OLLAMA_URL for the CLI) at the right address.", "providers.ollama.url (GLEITZEIT_OLLAMA_URL)")]
    [TestCase("Ollama at http://x/ did not answer within 300 s. Loading a large model can take minutes: raise OllamaOptions.RequestTimeout.", "providers.ollama.request_timeout")]
    [TestCase("Could not start the Python interpreter 'py': gone. Install python3, or set GLEITZEIT_PYTHON or PythonOptions.Interpreter.", "providers.python.interpreter (GLEITZEIT_PYTHON)")]
    [TestCase("Python script 'x.py' not found; set PythonOptions.ScriptsDirectory to look in a scripts folder too.", "providers.python.scripts_dir")]
    [TestCase("Install it or fix McpOptions.Servers[\"calc\"].Command (config: providers.mcp.servers.calc.command).", "providers.mcp.servers.calc.command")]
    [TestCase("No MCP servers are configured: add one with AddMcp(o => o.Servers[\"name\"] = new McpServerOptions { Command = ... }) or in the CLI config under providers.mcp.servers.", "providers.mcp.servers.NAME")]
    [TestCase("Tool 't' on MCP server 's' did not answer within 5 s (McpServerOptions.CallTimeout).", "MCP tool call timeout")]
    [TestCase("the workflow is 9 bytes, over the limit of 1 bytes: split it, or raise GleitzeitOptions.MaxWorkflowFileBytes", "split it")]
    [TestCase("file is 9 bytes; the limit for a text file is 1 bytes (BatchOptions.MaxFileSize)", "batch.max_file_size")]
    [TestCase("no model for llm/embed: set the task parameter 'model' or LlmOptions.EmbeddingModel", "providers.ollama.embedding_model")]
    [TestCase("Cannot open the SQLite database '/x': denied. Check that the directory exists and is writable, or choose another path (DatabasePath, GLEITZEIT_SQLITE_PATH).", "(persistence.sqlite.path or GLEITZEIT_SQLITE_PATH)")]
    public void Library_advice_is_put_in_the_CLI_s_words(string message, string expected)
    {
        var translated = CliVocabulary.Translate(message);

        Assert.That(translated, Does.Contain(expected));
        Assert.That(CliVocabulary.NamesLibraryOption(translated), Is.False, translated);
    }

    [TestCase("Workflow failed.. Fix it.", "Workflow failed. Fix it.")]
    [TestCase("directory '/x'.. Install python3.", "directory '/x'. Install python3.")]
    [TestCase("ends here..", "ends here.")]
    [TestCase("wait... and ../relative/path and 1..3", "wait... and ../relative/path and 1..3")]
    public void Doubled_full_stops_become_one(string text, string expected) =>
        Assert.That(Output.SingleFullStops(text), Is.EqualTo(expected));

    [Test]
    public void The_hint_is_not_repeated_in_the_error()
    {
        var message = Output.WithoutAdviceIn(
            "Python interpreter '/nope' does not exist. Install python3, or set providers.python.interpreter (GLEITZEIT_PYTHON) to the path of a python3 interpreter.",
            "Install python3, or set providers.python.interpreter / GLEITZEIT_PYTHON to a Python 3 interpreter.");

        Assert.That(message, Is.EqualTo("Python interpreter '/nope' does not exist."));
    }

    [Test]
    public void Results_shown_as_text_keep_apostrophes_and_letters()
    {
        var text = JsonShapes.Describe(new JsonObject { ["result"] = new JsonObject { ["msg"] = "it's <é>" } });

        Assert.That(text, Is.EqualTo("{\"msg\":\"it's <é>\"}"));
    }
}
