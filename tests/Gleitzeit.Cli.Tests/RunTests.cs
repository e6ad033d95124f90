using System.Globalization;
using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Tests;

/// <summary>Workflows run for real (python3 through the Python provider, SQLite store): run → status → list → task result.</summary>
public sealed class RunTests
{
    private const string Failing = """
        name: failing
        tasks:
          - id: ok
            method: python/execute
            parameters: { code: "result = 1" }
          - id: boom
            method: python/execute
            retry: { max_attempts: 1 }
            parameters: { code: "raise ValueError('kaput')" }
          - id: after
            method: python/execute
            dependencies: [boom]
            parameters: { code: "result = 2" }
        """;

    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Run_then_status_list_and_task_result_round_trip_through_the_store()
    {
        Assert.That((await _cli.RunAsync("init", "demo", "--type", "python")).ExitCode, Is.EqualTo(0));

        var run = await _cli.RunAsync("run", "demo/workflow.yaml", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var json = run.Json();
        AssertRunShape(json, "demo", "completed", ["stats", "report"]);
        var id = (string)json["workflow_id"]!;
        Assert.That((double)json["tasks"]!["stats"]!["result"]!["result"]!["mean"]!, Is.EqualTo(3.875));
        Assert.That((string)json["tasks"]!["report"]!["result"]!["result"]!, Is.EqualTo("8 numbers, mean 3.88, from 1.0 to 9.0"));

        var status = await _cli.RunAsync("workflow", "status", id, "--json");
        Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
        AssertRunShape(status.Json(), "demo", "completed", ["stats", "report"]);
        Assert.That(JsonNode.DeepEquals(status.Json()["tasks"], json["tasks"]), Is.True, "status shows what run returned");

        var list = await _cli.RunAsync("workflow", "list", "--json");
        Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        var listed = list.Json()["runs"]!.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That((string)listed["workflow_id"]!, Is.EqualTo(id));
            Assert.That((string)listed["name"]!, Is.EqualTo("demo"));
            Assert.That((string)listed["status"]!, Is.EqualTo("completed"));
            Assert.That((int)listed["task_count"]!, Is.EqualTo(2));
            Assert.That((int)listed["completed_tasks"]!, Is.EqualTo(2));
            Assert.That((int)listed["failed_tasks"]!, Is.EqualTo(0));
        });

        var result = await _cli.RunAsync("task", "result", "report", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var task = result.Json();
        Assert.Multiple(() =>
        {
            Assert.That((string)task["task_id"]!, Is.EqualTo("report"));
            Assert.That((string)task["workflow_id"]!, Is.EqualTo(id));
            Assert.That((string)task["workflow_name"]!, Is.EqualTo("demo"));
            Assert.That((string)task["status"]!, Is.EqualTo("completed"));
            Assert.That((string)task["result"]!["result"]!, Is.EqualTo("8 numbers, mean 3.88, from 1.0 to 9.0"));
            Assert.That(task["error"], Is.Null);
            Assert.That((int)task["attempts"]!, Is.EqualTo(1));
        });

        var tasks = await _cli.RunAsync("task", "list", "--workflow", id, "--json");
        Assert.That(tasks.Json()["tasks"]!.AsArray().Select(t => (string)t!["task_id"]!), Is.EqualTo(new[] { "stats", "report" }));

        var byName = await _cli.RunAsync("backend", "get-results-by-workflow", "demo", "--json");
        Assert.That(byName.Json()["results"]!.AsArray(), Has.Count.EqualTo(2));

        var stats = await _cli.RunAsync("backend", "get-stats", "--json");
        Assert.That((int)stats.Json()["total_runs"]!, Is.EqualTo(1));
        Assert.That((int)stats.Json()["runs_by_status"]!["completed"]!, Is.EqualTo(1));
    }

    [Test]
    public async Task Text_output_shows_transitions_results_and_the_run_id()
    {
        await _cli.RunAsync("init", "demo");

        var run = await _cli.RunAsync("run", "demo/workflow.yaml");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut, Does.Contain("task stats started (attempt 1)").And.Contain("task report completed in"));
        Assert.That(run.StdOut, Does.Contain("8 numbers, mean 3.88, from 1.0 to 9.0"));
        Assert.That(run.StdOut, Does.Match(@"demo: completed in .* \(run id wf-[0-9a-f]+\)"));
    }

    [Test]
    public async Task A_failed_task_exits_5_naming_the_task_and_its_error()
    {
        _cli.WriteFile("failing.yaml", Failing);

        var run = await _cli.RunAsync("run", "failing.yaml", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(5), run.ToString());
        Assert.That(run.StdErr, Does.Contain("task 'boom'").And.Contain("kaput"));
        var json = run.Json();
        AssertRunShape(json, "failing", "failed", ["ok", "boom", "after"]);
        Assert.Multiple(() =>
        {
            Assert.That((string)json["tasks"]!["ok"]!["status"]!, Is.EqualTo("completed"));
            Assert.That((string)json["tasks"]!["boom"]!["status"]!, Is.EqualTo("failed"));
            Assert.That((int)json["tasks"]!["boom"]!["error"]!["code"]!, Is.LessThan(0));
            Assert.That((string)json["tasks"]!["boom"]!["error"]!["message"]!, Does.Contain("kaput"));
            Assert.That((string)json["tasks"]!["after"]!["status"]!, Is.EqualTo("skipped"));
            Assert.That((int)json["tasks"]!["after"]!["error"]!["code"]!, Is.EqualTo(-29005));
        });

        var failedOnly = await _cli.RunAsync("task", "list", "--status", "failed", "--json");
        Assert.That(failedOnly.Json()["tasks"]!.AsArray().Select(t => (string)t!["task_id"]!), Is.EqualTo(new[] { "boom" }));
    }

    [Test]
    public async Task A_missing_script_is_named_once_with_the_config_key_that_adds_a_scripts_directory()
    {
        _cli.WriteFile("missing_script.yaml", "name: missing\ntasks:\n  - id: s\n    method: python/execute\n    parameters:\n      file: scripts/absent.py\n");

        var run = await _cli.RunAsync("run", "missing_script.yaml");

        Assert.That(run.ExitCode, Is.EqualTo(5), run.ToString());
        var path = Path.Combine(_cli.WorkDirectory, "scripts", "absent.py");
        var line = run.StdErr.Split('\n').First(l => l.Contains("not found", StringComparison.Ordinal));
        Assert.That(line.Split(path).Length - 1, Is.EqualTo(1), line);
        Assert.That(line, Does.Contain("config key providers.python.scripts_dir").And.Not.Contain("PythonOptions"));
    }

    [Test]
    public async Task Inputs_override_defaults_and_keep_their_json_type()
    {
        _cli.WriteFile("inputs.yaml", """
            name: inputs
            inputs:
              n: 2
              word: "x"
            tasks:
              - id: calc
                method: python/execute
                parameters:
                  code: "result = [n * 10, word * 2]"
                  context:
                    n: "${inputs.n}"
                    word: "${inputs.word}"
            """);

        var run = await _cli.RunAsync("run", "inputs.yaml", "--input", "n=5", "-i", "word=ab", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var result = run.Json()["tasks"]!["calc"]!["result"]!["result"]!.AsArray();
        Assert.That((int)result[0]!, Is.EqualTo(50));
        Assert.That((string)result[1]!, Is.EqualTo("abab"));
    }

    [Test]
    public async Task Output_file_holds_the_run_json()
    {
        await _cli.RunAsync("init", "demo");

        var run = await _cli.RunAsync("run", "demo/workflow.yaml", "--output", "out/results.json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.WorkDirectory, "out", "results.json")))!;
        AssertRunShape(saved, "demo", "completed", ["stats", "report"]);
        Assert.That(run.StdOut, Does.Contain("results written to"));
    }

    [Test]
    public async Task Workflow_submit_is_run()
    {
        await _cli.RunAsync("init", "demo");

        var run = await _cli.RunAsync("workflow", "submit", "demo/workflow.yaml", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        AssertRunShape(run.Json(), "demo", "completed", ["stats", "report"]);
    }

    [Test]
    public async Task Resume_and_cancel_of_a_finished_run_report_it_as_it_is()
    {
        await _cli.RunAsync("init", "demo");
        var id = (string)(await _cli.RunAsync("run", "demo/workflow.yaml", "--json")).Json()["workflow_id"]!;

        var resume = await _cli.RunAsync("workflow", "resume", id, "--json");
        var cancel = await _cli.RunAsync("workflow", "cancel", id, "--json");

        Assert.That(resume.ExitCode, Is.EqualTo(0), resume.ToString());
        AssertRunShape(resume.Json(), "demo", "completed", ["stats", "report"]);
        Assert.That(cancel.ExitCode, Is.EqualTo(0), cancel.ToString());
        Assert.That((string)cancel.Json()["status"]!, Is.EqualTo("completed"));
    }

    [Test]
    public async Task Purge_removes_finished_runs_older_than_the_age()
    {
        await _cli.RunAsync("init", "demo");
        await _cli.RunAsync("run", "demo/workflow.yaml");

        var keep = await _cli.RunAsync("backend", "purge", "--older-than", "1d", "--json");
        var purge = await _cli.RunAsync("backend", "purge", "--older-than", "0s", "--json");
        var list = await _cli.RunAsync("workflow", "list", "--json");

        Assert.That((int)keep.Json()["purged"]!, Is.EqualTo(0), keep.ToString());
        Assert.That((int)purge.Json()["purged"]!, Is.EqualTo(1), purge.ToString());
        Assert.That(list.Json()["runs"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Exec_prints_output_and_result()
    {
        var run = await _cli.RunAsync("exec", "print('hello from python'); result = {'sum': sum(range(10))}");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut, Does.Contain("hello from python"));
        Assert.That(run.StdOut, Does.Contain("result: {").And.Contain("\"sum\": 45"));
    }

    [Test]
    public async Task Exec_of_code_that_raises_exits_5()
    {
        var run = await _cli.RunAsync("exec", "raise RuntimeError('nope')", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(5), run.ToString());
        AssertRunShape(run.Json(), "exec", "failed", ["exec"]);
        Assert.That(run.StdErr, Does.Contain("task 'exec'").And.Contain("nope"));
    }

    [Test]
    public async Task Exec_timeout_stops_the_code()
    {
        var run = await _cli.RunAsync("exec", "import time\ntime.sleep(30)", "--timeout", "1", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(5), run.ToString());
        Assert.That((string)run.Json()["tasks"]!["exec"]!["status"]!, Is.EqualTo("failed"));
    }

    [Test]
    public async Task Task_submit_runs_one_python_task()
    {
        var run = await _cli.RunAsync("task", "submit", "python/execute", "--param", "code=result = x * 2", "--param", "context={\"x\": 21}", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var json = run.Json();
        AssertRunShape(json, "task python/execute", "completed", ["task"]);
        Assert.That((int)json["tasks"]!["task"]!["result"]!["result"]!, Is.EqualTo(42));
    }

    [Test]
    public async Task Provider_list_and_health_show_python()
    {
        var list = await _cli.RunAsync("provider", "list", "--json");
        var health = await _cli.RunAsync("provider", "health", "python", "--json");

        Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        var python = list.Json()["providers"]!.AsArray().Single(p => (string)p!["id"]! == "python")!;
        Assert.That((string)python["protocol"]!, Is.EqualTo("python/v1"));
        Assert.That(python["methods"]!.AsArray().Select(m => (string)m!), Does.Contain("python/execute"));
        Assert.That(health.ExitCode, Is.EqualTo(0), health.ToString());
        Assert.That((string)health.Json()["providers"]![0]!["status"]!, Is.EqualTo("healthy"));
    }

    [Test]
    public async Task A_missing_python_interpreter_exits_4_with_the_fix()
    {
        _cli.Environment["GLEITZEIT_PYTHON"] = "/nonexistent/python3";

        var run = await _cli.RunAsync("exec", "result = 1");

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StdErr, Does.Contain("GLEITZEIT_PYTHON"));
    }

    internal static void AssertRunShape(JsonNode json, string name, string status, string[] taskIds)
    {
        var run = json.AsObject();
        Assert.That(run.Select(p => p.Key), Is.EquivalentTo(new[] { "workflow_id", "name", "status", "started_at", "completed_at", "tasks", "usage" }));
        Assert.Multiple(() =>
        {
            Assert.That((string)run["workflow_id"]!, Does.StartWith("wf-"));
            Assert.That((string)run["name"]!, Is.EqualTo(name));
            Assert.That((string)run["status"]!, Is.EqualTo(status));
            Assert.That(DateTimeOffset.TryParse((string)run["started_at"]!, CultureInfo.InvariantCulture, DateTimeStyles.None, out _), Is.True);
            Assert.That(DateTimeOffset.TryParse((string)run["completed_at"]!, CultureInfo.InvariantCulture, DateTimeStyles.None, out _), Is.True);
            Assert.That(run["tasks"]!.AsObject().Select(p => p.Key), Is.EqualTo(taskIds));
        });
        foreach (var (id, task) in run["tasks"]!.AsObject())
        {
            Assert.That(task!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "status", "result", "error", "attempts", "duration_ms" }), id);
            var taskStatus = (string)task["status"]!;
            Assert.That(taskStatus, Is.AnyOf("pending", "queued", "running", "completed", "failed", "skipped", "cancelled", "retrying"), id);
            if (task["error"] is { } error) Assert.That(error.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "code", "message" }), id);
            if (taskStatus == "completed") Assert.That((double)task["duration_ms"]!, Is.GreaterThanOrEqualTo(0), id);
        }
    }
}

/// <summary>The text (non-JSON) views of stored runs.</summary>
public sealed class RunTextTests
{
    private CliProcess _cli = null!;
    private string _id = "";

    [OneTimeSetUp]
    public async Task OneTimeSetUp()
    {
        _cli = new CliProcess();
        await _cli.RunAsync("init", "demo");
        _id = (string)(await _cli.RunAsync("run", "demo/workflow.yaml", "--json")).Json()["workflow_id"]!;
    }

    [OneTimeTearDown]
    public void OneTimeTearDown() => _cli.Dispose();

    [Test]
    public async Task Status_text_is_a_table_of_tasks()
    {
        var status = await _cli.RunAsync("workflow", "status", _id);

        Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
        Assert.That(status.StdOut, Does.Contain($"demo ({_id})").And.Contain("status: completed"));
        Assert.That(status.StdOut, Does.Match(@"report\s+completed\s+1\s+\S+\s+8 numbers, mean 3.88"));
    }

    [Test]
    public async Task List_text_shows_the_run_and_filters_by_status_and_name()
    {
        var all = await _cli.RunAsync("workflow", "list");
        var failed = await _cli.RunAsync("workflow", "list", "--status", "failed", "--json");
        var other = await _cli.RunAsync("workflow", "list", "--name", "other", "--json");

        Assert.That(all.StdOut, Does.Match(_id + @"\s+demo\s+completed\s+2/2"));
        Assert.That(failed.Json()["runs"]!.AsArray(), Is.Empty);
        Assert.That(other.Json()["runs"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Task_result_text_prints_the_result_json()
    {
        var result = await _cli.RunAsync("task", "result", "stats", "--workflow", _id);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain($"stats (demo, run {_id}): completed").And.Contain("\"mean\": 3.875"));
    }

    [Test]
    public async Task Task_result_of_an_unknown_task_exits_1()
    {
        var result = await _cli.RunAsync("task", "result", "nope");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StdErr, Does.Contain("nope").And.Contain("task list"));
    }

    [Test]
    public async Task Get_stats_text_counts_the_run()
    {
        var stats = await _cli.RunAsync("backend", "get-stats");

        Assert.That(stats.StdOut, Does.Match(@"runs\s+completed\s+1"));
    }
}
