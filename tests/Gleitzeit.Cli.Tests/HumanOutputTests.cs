using System.Text.RegularExpressions;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Cli.Tests;

/// <summary>What a person reads: parse errors, hints in the CLI's words, task output shown once and safely, progress lines,
/// and listings that survive a damaged store.</summary>
public sealed class HumanOutputTests
{
    private const string WithMcpTask = """
        name: mixed
        tasks:
          - id: numbers
            method: python/execute
            parameters: { code: "result = [1, 2, 3]" }
          - id: add
            method: mcp/tool.add
            dependencies: [numbers]
            parameters: { a: 1, b: 2 }
        """;

    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    private static readonly Regex LibraryNames = new(@"\b[A-Z][A-Za-z]*Options\.[A-Z]|services\.AddGleitzeit|\bAdd(?:Mcp|Ollama|Python)\(", RegexOptions.CultureInvariant);

    [Test]
    public async Task A_misspelled_command_is_an_error_line_and_a_hint_suggesting_the_command()
    {
        var result = await _cli.RunAsync("rn", "x");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdOut, Is.Empty);
        var lines = result.StdErr.TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2), result.StdErr);
        Assert.That(lines[0], Is.EqualTo("error: unknown command 'rn'"));
        Assert.That(lines[1], Does.StartWith("hint: Did you mean 'gleitzeit run'?").And.Contain("gleitzeit --help"));
    }

    [Test]
    public async Task An_extra_argument_and_a_missing_subcommand_use_the_same_form()
    {
        var extra = await _cli.RunAsync("validate", "a.yaml", "b.yaml");
        var missing = await _cli.RunAsync("workflow");

        Assert.That(extra.ExitCode, Is.EqualTo(2), extra.ToString());
        Assert.That(extra.StdErr, Does.StartWith("error: unexpected argument 'b.yaml' for 'gleitzeit validate'\nhint: "));
        Assert.That(missing.ExitCode, Is.EqualTo(2), missing.ToString());
        Assert.That(missing.StdErr, Does.StartWith("error: 'gleitzeit workflow' needs a command\nhint: Commands: submit, status, list"));
    }

    [Test]
    public async Task A_value_of_the_wrong_kind_is_described_without_dotnet_type_names()
    {
        var result = await _cli.RunAsync("task", "submit", "python/execute", "--timeout", "1.5");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.StartWith("error: cannot parse argument '1.5' for option '--timeout': expected a whole number\nhint: "));
        Assert.That(result.StdErr, Does.Not.Contain("System."));
    }

    [Test]
    public async Task Validate_warns_about_an_unconfigured_mcp_provider_with_the_config_key_and_exits_0()
    {
        var file = _cli.WriteFile("mixed.yaml", WithMcpTask);

        var result = await _cli.RunAsync("validate", "mixed.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain($"{file}: valid workflow 'mixed' with 2 tasks (1 warning)."));
        Assert.That(result.StdErr, Does.Contain($"warning: {file}:7:13: task 'add'").And.Contain("providers.mcp.servers.NAME.command").And.Contain("GLEITZEIT_MCP_SERVER_PATH"));
        Assert.That(LibraryNames.IsMatch(result.StdErr), Is.False, result.StdErr);
        Assert.That(result.StdErr, Does.Not.Contain("error:"));
    }

    [Test]
    public async Task Validate_strict_makes_the_warning_an_error_and_json_lists_warnings()
    {
        _cli.WriteFile("mixed.yaml", WithMcpTask);

        var strict = await _cli.RunAsync("validate", "mixed.yaml", "--strict");
        var json = await _cli.RunAsync("validate", "mixed.yaml", "--json");

        Assert.That(strict.ExitCode, Is.EqualTo(2), strict.ToString());
        Assert.That(strict.StdErr, Does.Contain("error:").And.Contain("providers.mcp.servers"));
        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString());
        var doc = json.Json();
        Assert.That((bool)doc["valid"]!, Is.True);
        Assert.That(doc["errors"]!.AsArray(), Is.Empty);
        var warning = doc["warnings"]!.AsArray().Single()!;
        Assert.That((string)warning["task_id"]!, Is.EqualTo("add"));
        Assert.That((string)warning["code_name"]!, Is.EqualTo("PROVIDER_NOT_FOUND"));
    }

    [Test]
    public async Task Run_of_a_workflow_needing_an_unconfigured_mcp_server_speaks_cli_and_the_hint_does_not_repeat_the_error()
    {
        _cli.WriteFile("mixed.yaml", WithMcpTask);

        var result = await _cli.RunAsync("run", "mixed.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("providers.mcp.servers"));
        Assert.That(LibraryNames.IsMatch(result.StdErr), Is.False, result.StdErr);
        AssertHintIsNotInError(result.StdErr);
    }

    [Test]
    public async Task An_unavailable_interpreter_is_explained_once_in_cli_words()
    {
        _cli.Environment["GLEITZEIT_PYTHON"] = "/nonexistent/python3";

        var result = await _cli.RunAsync("exec", "result = 1");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        Assert.That(result.StdErr, Does.Contain("/nonexistent/python3"));
        Assert.That(result.StdErr, Does.Contain("hint: ").And.Contain("providers.python.interpreter"));
        Assert.That(LibraryNames.IsMatch(result.StdErr), Is.False, result.StdErr);
        Assert.That(Regex.Matches(result.StdErr, "providers\\.python\\.interpreter"), Has.Count.EqualTo(1), "the advice is given once, in the hint:\n" + result.StdErr);
        Assert.That(Regex.IsMatch(result.StdErr, @"[^.]\.\.(\s|$)"), Is.False, "no doubled full stop:\n" + result.StdErr);
    }

    [Test]
    public async Task A_store_that_cannot_be_created_is_explained_in_cli_words_with_single_full_stops()
    {
        var file = _cli.WriteFile("not-a-directory", "a file");
        _cli.Environment["GLEITZEIT_SQLITE_PATH"] = Path.Combine(file, "gleitzeit.db");

        var result = await _cli.RunAsync("workflow", "list");

        Assert.That(result.ExitCode, Is.Not.EqualTo(0), result.ToString());
        Assert.That(result.StdErr, Does.Contain(file).And.Contain("persistence.sqlite.path"));
        Assert.That(result.StdErr, Does.Not.Contain("DatabasePath"));
        Assert.That(Regex.IsMatch(result.StdErr, @"[^.]\.\.(\s|$)"), Is.False, "no doubled full stop:\n" + result.StdErr);
    }

    [Test]
    public async Task Exec_of_failing_code_shows_what_it_printed_and_the_traceback_once()
    {
        var result = await _cli.RunAsync("exec", "print('hi'); raise ValueError('boom')");

        Assert.That(result.ExitCode, Is.EqualTo(5), result.ToString());
        Assert.That(result.StdOut.Split('\n'), Does.Contain("hi"), result.ToString());
        var all = result.StdOut + result.StdErr;
        Assert.That(Regex.Matches(all, "Traceback"), Has.Count.EqualTo(1), result.ToString());
        Assert.That(result.StdErr, Does.Contain("ValueError: boom"));
    }

    [Test]
    public async Task Escape_sequences_in_task_output_and_results_reach_the_terminal_neutralized()
    {
        const string code = "print('\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\x1b[8msecret\\x1b[0m'); result = 'done\\r\\x9b2Jfake'";

        var plain = await _cli.RunAsync("exec", code);
        var json = await _cli.RunAsync("exec", code, "--json");

        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.ToString());
        foreach (var raw in new[] { "\u001b", "\u0007", "\r", "\u009b" })
        {
            // Ordinal: a culture-aware comparison ignores control characters.
            Assert.That(plain.StdOut.Contains(raw, StringComparison.Ordinal), Is.False, $"raw U+{(int)raw[0]:X4} in:\n{plain.StdOut}");
        }
        Assert.That(plain.StdOut, Does.Contain("\\x1B[2J\\x1B]52;c;ZXZpbA==\\x07\\x1B[8msecret"));
        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString());
        Assert.That(json.StdOut.Contains('\u001b', StringComparison.Ordinal), Is.False, "JSON escapes it");
        Assert.That((string)json.Json()["tasks"]!["exec"]!["result"]!["output"]!, Does.StartWith("\u001b[2J\u001b]52;c;"), "--json keeps the value, JSON-escaped");
    }

    [Test]
    public async Task Results_print_apostrophes_and_accents_as_they_are()
    {
        _cli.WriteFile("quote.yaml", """
            name: quote
            tasks:
              - id: q
                method: python/execute
                parameters: { code: "result = {'msg': \"it's café\"}" }
            """);

        var result = await _cli.RunAsync("run", "quote.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain("{\"msg\":\"it's café\"}"));
        Assert.That(result.StdOut, Does.Not.Contain("\\u0027"));
    }

    [Test]
    public async Task Task_submit_progress_names_the_method_not_task_task()
    {
        var result = await _cli.RunAsync("task", "submit", "python/execute", "--param", "code=result = 1");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain("python/execute started (attempt 1)").And.Contain("python/execute completed in"));
        Assert.That(result.StdOut, Does.Not.Contain("task task"));
    }

    [Test]
    public async Task Input_json_nested_past_64_levels_is_an_error_not_a_string()
    {
        _cli.WriteFile("echo.yaml", """
            name: echo
            inputs: { data: 1 }
            tasks:
              - id: e
                method: python/execute
                parameters: { code: "result = 1" }
            """);
        var deep = new string('[', 100) + new string(']', 100);

        var result = await _cli.RunAsync("run", "echo.yaml", "--input", "data=" + deep);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--input data").And.Contain("nested 100 levels").And.Contain("64"));
    }

    [Test]
    public async Task Task_list_leaves_out_a_damaged_run_and_lists_the_others()
    {
        var good = await _cli.RunAsync("exec", "result = 1", "--json");
        var bad = await _cli.RunAsync("exec", "result = 2", "--json");
        Assert.That(good.ExitCode + bad.ExitCode, Is.EqualTo(0), good.ToString() + bad);
        var goodId = (string)good.Json()["workflow_id"]!;
        var badId = (string)bad.Json()["workflow_id"]!;
        await Sqlite(_cli.Database, $"UPDATE runs SET inputs = '{{not json' WHERE id = '{badId}'");

        var result = await _cli.RunAsync("task", "list");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain(goodId));
        Assert.That(result.StdOut, Does.Not.Contain(badId));
        Assert.That(result.StdErr, Does.Contain($"warning: run {badId} could not be read"));
    }

    [Test]
    public async Task A_batch_run_is_listed_under_its_batch_id_once()
    {
        await using var ollama = await OllamaTestServer.StartAsync();
        ollama.Reply(_ => "fine");
        _cli.Environment["GLEITZEIT_OLLAMA_URL"] = ollama.BaseUri.ToString();
        _cli.WriteFile("docs/a.txt", "alpha");
        var batch = await _cli.RunAsync("batch", "docs", "--json");
        Assert.That(batch.ExitCode, Is.EqualTo(0), batch.ToString());
        var batchId = (string)batch.Json()["batch_id"]!;

        var list = await _cli.RunAsync("workflow", "list", "--json");

        Assert.That((string)list.Json()["runs"]!.AsArray().Single()!["name"]!, Is.EqualTo(batchId));
    }

    private static void AssertHintIsNotInError(string stderr)
    {
        var hint = stderr.Split('\n').FirstOrDefault(l => l.StartsWith("hint: ", StringComparison.Ordinal));
        if (hint is null) return;
        var advice = hint["hint: ".Length..].TrimEnd('.');
        var rest = string.Join('\n', stderr.Split('\n').Where(l => !l.StartsWith("hint: ", StringComparison.Ordinal)));
        Assert.That(rest, Does.Not.Contain(advice), stderr);
    }

    private static async Task Sqlite(string database, string sql)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", database, sql },
            RedirectStandardError = true,
        })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.EqualTo(0), error);
    }
}
