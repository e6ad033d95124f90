using System.Diagnostics;
using System.Globalization;
using Gleitzeit.Testing.Redis;

namespace Gleitzeit.Cli.Tests;

/// <summary>The redis backend: runs in process, detached runs executed by a separate <c>gleitzeit worker</c> process.</summary>
public sealed class RedisTests
{
    private RedisServerFixture _redis = null!;
    private CliProcess _cli = null!;
    private string _url = null!;

    [OneTimeSetUp]
    public async Task StartRedisAsync() => _redis = await RedisServerFixture.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedisAsync() => await _redis.DisposeAsync();

    [SetUp]
    public async Task SetUp()
    {
        _cli = new CliProcess();
        // A database of its own (1..15) so this run's keys stay apart from other tests on a shared server.
        var database = Random.Shared.Next(1, 16).ToString(CultureInfo.InvariantCulture);
        _cli.Environment["GLEITZEIT_PERSISTENCE_BACKEND"] = "redis";
        _url = $"redis://{_redis.Endpoint}/{database}";
        _cli.Environment["GLEITZEIT_REDIS_URL"] = _url;
        Assert.That((await _cli.RunAsync("init", "demo")).ExitCode, Is.EqualTo(0));
    }

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Run_in_process_with_the_redis_store_then_status()
    {
        var run = await _cli.RunAsync("run", "demo/workflow.yaml", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var id = (string)run.Json()["workflow_id"]!;
        var status = await _cli.RunAsync("workflow", "status", id, "--json");
        Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
        RunTests.AssertRunShape(status.Json(), "demo", "completed", ["stats", "report"]);
        var stats = await _cli.RunAsync("backend", "get-stats", "--json");
        Assert.That((string)stats.Json()["backend"]!, Is.EqualTo("redis"));
    }

    [Test]
    public async Task Detached_run_is_executed_by_a_worker_process()
    {
        var submit = await _cli.RunAsync("run", "demo/workflow.yaml", "--detach", "--json");
        Assert.That(submit.ExitCode, Is.EqualTo(0), submit.ToString());
        var id = (string)submit.Json()["workflow_id"]!;
        Assert.That((string)submit.Json()["status"]!, Is.AnyOf("pending", "running"));

        using var worker = _cli.Start("worker", "--concurrency", "2");
        try
        {
            var status = await _cli.RunAsync("workflow", "status", id, "--wait", "--json");

            Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
            var json = status.Json();
            RunTests.AssertRunShape(json, "demo", "completed", ["stats", "report"]);
            Assert.That((string)json["tasks"]!["report"]!["result"]!["result"]!, Is.EqualTo("8 numbers, mean 3.88, from 1.0 to 9.0"));
        }
        finally
        {
            Terminate(worker);
        }
        var output = await worker.StandardOutput.ReadToEndAsync();
        await worker.WaitForExitAsync();
        Assert.That(worker.ExitCode, Is.EqualTo(0), output + await worker.StandardError.ReadToEndAsync());
        Assert.That(output, Does.Contain("up to 2 tasks at once").And.Contain("stopped."));
    }

    [Test]
    public async Task A_queued_run_waits_for_a_person_and_a_worker_process_continues_it_once_approved()
    {
        var file = _cli.WriteFile("approval.yaml", """
            name: queued-approval
            tasks:
              - id: draft
                method: python/execute
                parameters: { code: "result = 'Release 1.0'" }
              - id: approve
                method: human/approval
                dependencies: [draft]
                parameters: { prompt: "Send ${draft.result}?" }
              - id: send
                method: python/execute
                dependencies: [approve]
                parameters: { code: "result = 'sent' if approved else 'held'", context: { approved: "${approve.approved}" } }
            """);
        var id = (string)(await _cli.RunAsync("run", file, "--detach", "--json")).Json()["workflow_id"]!;
        using var worker = _cli.Start("worker", "--concurrency", "2");
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while ((string?)(await _cli.RunAsync("workflow", "status", id, "--json")).Json()["status"] != "waiting") await Task.Delay(200, limit.Token);
            var listed = (await _cli.RunAsync("workflow", "list", "--status", "waiting", "--json")).Json();
            Assert.That(listed["runs"]!.AsArray().Select(r => (string?)r!["workflow_id"]), Does.Contain(id));

            var answer = await _cli.RunAsync("workflow", "approve", id, "approve", "--by", "ann", "--json");
            var again = await _cli.RunAsync("workflow", "reject", id, "approve");
            var status = await _cli.RunAsync("workflow", "status", id, "--wait", "--json");

            Assert.That(answer.ExitCode, Is.EqualTo(0), answer.ToString());
            Assert.That((string?)answer.Json()["continued_by"], Is.EqualTo("workers"));
            Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString());
            Assert.That(again.StdErr, Does.Contain("TASK_ALREADY_ANSWERED"));
            var json = status.Json();
            Assert.That((string?)json["status"], Is.EqualTo("completed"), status.ToString());
            Assert.That((string?)json["tasks"]!["approve"]!["result"]!["by"], Is.EqualTo("ann"));
            Assert.That((string?)json["tasks"]!["send"]!["result"]!["result"], Is.EqualTo("sent"));
        }
        finally
        {
            Terminate(worker);
            await worker.WaitForExitAsync();
        }
    }

    [Test]
    public async Task A_queued_run_is_cancelled_through_the_queue_and_never_resumed_here()
    {
        var id = (string)(await _cli.RunAsync("run", "demo/workflow.yaml", "--detach", "--json")).Json()["workflow_id"]!;

        var resume = await _cli.RunAsync("workflow", "resume", id);
        var cancel = await _cli.RunAsync("workflow", "cancel", id, "--json");
        var status = await _cli.RunAsync("workflow", "status", id, "--json");

        Assert.That(resume.ExitCode, Is.EqualTo(2), resume.ToString());
        Assert.That(resume.StdErr, Does.Contain("gleitzeit worker"));
        Assert.That(cancel.ExitCode, Is.EqualTo(0), cancel.ToString());
        Assert.That((string)status.Json()["status"]!, Is.EqualTo("cancelled"));
        Assert.That(status.Json()["tasks"]!.AsObject().Select(t => (string)t.Value!["status"]!), Is.All.EqualTo("cancelled"));
    }

    [Test]
    public async Task A_run_not_queued_for_workers_is_not_waited_for_and_is_cancelled_through_the_engine()
    {
        // An unfinished run an engine in another gleitzeit process started (it is not on the queue).
        var id = "engine-" + Guid.NewGuid().ToString("N");
        await using (var store = new Gleitzeit.Persistence.Redis.RedisWorkflowStore(new Gleitzeit.Persistence.Redis.RedisStoreOptions { Configuration = _url }))
        {
            await store.CreateRunAsync(new Gleitzeit.Core.WorkflowRun
            {
                WorkflowId = id,
                Name = "elsewhere",
                Status = Gleitzeit.Core.WorkflowStatus.Running,
                CreatedAt = DateTimeOffset.UtcNow,
                Tasks = new Dictionary<string, Gleitzeit.Core.TaskResult> { ["a"] = Gleitzeit.Core.TaskResult.Pending("a") },
            });
        }

        var wait = await _cli.RunAsync("workflow", "status", id, "--wait");
        var cancel = await _cli.RunAsync("workflow", "cancel", id, "--json");

        Assert.That(wait.ExitCode, Is.EqualTo(2), wait.ToString());
        Assert.That(wait.StdErr, Does.Contain("is not queued for workers").And.Contain($"gleitzeit workflow resume {id}"));
        Assert.That(cancel.ExitCode, Is.EqualTo(0), cancel.ToString());
        Assert.That((string)cancel.Json()["status"]!, Is.EqualTo("cancelled"));
    }

    [Test]
    public async Task Detach_without_the_redis_backend_exits_2()
    {
        var result = await _cli.RunAsync("run", "demo/workflow.yaml", "--detach", "--backend", "sqlite");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--backend redis"));
    }

    /// <summary>SIGTERM: the worker stops like on Ctrl+C (hands its tasks back, exits 0).</summary>
    private static void Terminate(Process process)
    {
        if (process.HasExited) return;
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0) process.Kill(entireProcessTree: true);
    }
}
