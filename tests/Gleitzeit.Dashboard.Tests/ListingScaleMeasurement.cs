using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Dashboard.Tests;

/// <summary>
/// A measurement, not a check (run it by name): the runs list over a SQLite store holding 100,000 runs, first page and the
/// deepest page, through the API. The figures are in docs/dashboard.md.
/// </summary>
[Explicit("a measurement: fills a SQLite store with 100,000 runs")]
public sealed class ListingScaleMeasurement
{
    private const int Runs = 100_000;

    [Test]
    public async Task Runs_list_over_100000_runs()
    {
        var directory = Directory.CreateTempSubdirectory("gleitzeit-dash-scale");
        try
        {
            var path = Path.Combine(directory.FullName, "runs.db");
            await using (var fill = new Gleitzeit.Persistence.Sqlite.SqliteWorkflowStore(path))
            {
                var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
                var fillTime = Stopwatch.StartNew();
                var pending = new List<Task>();
                for (var i = 0; i < Runs; i++)
                {
                    var at = t0.AddSeconds(i);
                    var tasks = new Dictionary<string, TaskResult>
                    {
                        ["ask"] = new() { TaskId = "ask", Status = WorkflowTaskStatus.Completed, Attempts = 1, StartedAt = at, CompletedAt = at.AddSeconds(1),
                            Result = new JsonObject { ["response"] = "answer " + i, ["usage"] = new JsonObject { ["prompt_tokens"] = 12, ["completion_tokens"] = 30 } } },
                        ["sum"] = new() { TaskId = "sum", Status = WorkflowTaskStatus.Completed, Attempts = 1, StartedAt = at.AddSeconds(1), CompletedAt = at.AddSeconds(2), Result = new JsonObject { ["result"] = i } },
                    };
                    pending.Add(fill.CreateRunAsync(new WorkflowRun
                    {
                        WorkflowId = $"run-{i:D6}", Name = i % 10 == 0 ? "nightly" : "report", Status = i % 50 == 0 ? WorkflowStatus.Failed : WorkflowStatus.Completed,
                        CreatedAt = at, StartedAt = at, CompletedAt = at.AddSeconds(2), Tasks = tasks,
                    }).AsTask());
                    if (pending.Count == 512)
                    {
                        await Task.WhenAll(pending);
                        pending.Clear();
                    }
                }
                await Task.WhenAll(pending);
                TestContext.Out.WriteLine($"filled {Runs} runs in {fillTime.Elapsed.TotalSeconds:0.0} s");
            }

            await using var host = await DashboardHost.StartAsync(gleitzeit => gleitzeit.AddSqlite(o => o.DatabasePath = path));
            var deepest = $"run-{50:D6}"; // the page after it is the last one
            await Report(host, "first page (50 runs)", "api/runs?limit=50");
            await Report(host, "last page by keyset (after=run-000050)", $"api/runs?limit=50&after={deepest}");
            await Report(host, "failed runs, first page", "api/runs?limit=50&status=failed");
            await Report(host, "name=nightly, page after run-050000", "api/runs?limit=50&name=nightly&after=run-050000");
            var store = host.Store;
            await ReportStore("store only: offset 99,950 (no keyset)", () => store.ListRunsAsync(new RunQuery { Limit = 50, Offset = Runs - 50 }).AsTask());
            await ReportStore("store only: keyset after run-000050", () => store.ListRunsAsync(new RunQuery { Limit = 50, After = deepest }).AsTask());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task Report(DashboardHost host, string what, string path)
    {
        var times = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await host.Http.GetAsync(path);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            watch.Stop();
            Assert.That((int)response.StatusCode, Is.EqualTo(200), body.ToJsonString());
            Assert.That(body["runs"]!.AsArray(), Is.Not.Empty);
            if (i > 0) times.Add(watch.Elapsed.TotalMilliseconds); // the first warms up
        }
        times.Sort();
        TestContext.Out.WriteLine($"{what}: median {times[times.Count / 2]:0.0} ms, max {times[^1]:0.0} ms");
    }

    private static async Task ReportStore(string what, Func<Task<IReadOnlyList<WorkflowRunSummary>>> list)
    {
        var times = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var watch = Stopwatch.StartNew();
            var page = await list();
            watch.Stop();
            Assert.That(page, Has.Count.EqualTo(50));
            if (i > 0) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        TestContext.Out.WriteLine($"{what}: median {times[times.Count / 2]:0.0} ms, max {times[^1]:0.0} ms");
    }
}
