using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Dashboard.Tests;

public sealed class ApiTests
{
    private DashboardHost _host = null!;

    [SetUp]
    public async Task StartAsync() => _host = await DashboardHost.StartAsync(configure: o => o.MaxInlineResultLength = 1000);

    [TearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    private async Task<JsonNode> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _host.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        return JsonNode.Parse(text)!;
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(string path, string? body = null)
    {
        using var content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _host.Http.PostAsync(path, content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Test]
    public async Task Runs_are_listed_newest_first_with_tokens_and_paged_by_keyset()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var usage = new JsonObject { ["usage"] = new JsonObject { ["prompt_tokens"] = i, ["completion_tokens"] = 1 } };
            ids.Add((await _host.Engine.RunAsync(Workflows.Single("report", usage))).WorkflowId);
        }

        var first = await GetJsonAsync("api/runs?limit=2");
        var second = await GetJsonAsync($"api/runs?limit=2&after={first["next"]}");
        var third = await GetJsonAsync($"api/runs?limit=2&after={second["next"]}");

        var listed = new[] { first, second, third }.SelectMany(p => p["runs"]!.AsArray().Select(r => (string)r!["workflow_id"]!)).ToList();
        Assert.That(listed, Is.EqualTo(Enumerable.Reverse(ids).ToList()));
        Assert.That(third["next"], Is.Null, "the last page says no page follows");
        var newest = first["runs"]![0]!;
        Assert.That((string)newest["status"]!, Is.EqualTo("completed"));
        Assert.That((long)newest["tokens"]!, Is.EqualTo(5), "prompt 4 + completion 1");
        Assert.That((int)newest["task_count"]!, Is.EqualTo(1));
        Assert.That(newest["duration_ms"], Is.Not.Null);
    }

    [Test]
    public async Task Runs_and_a_run_count_the_tasks_served_from_the_result_cache()
    {
        var single = Workflows.Single("cached");
        var cached = single with { Tasks = [.. single.Tasks.Select(t => t with { Cache = Gleitzeit.Core.Cost.TaskCachePolicy.Forever })] };
        var first = await _host.Engine.RunAsync(cached);
        var second = await _host.Engine.RunAsync(cached);
        Assert.That(second.Tasks["only"].Cached, Is.True, "the second run took the result from the cache");

        var rows = (await GetJsonAsync("api/runs"))["runs"]!.AsArray();
        var graph = await GetJsonAsync($"api/runs/{second.WorkflowId}/graph");

        Assert.That((int)rows.Single(r => (string)r!["workflow_id"]! == second.WorkflowId)!["cached_tasks"]!, Is.EqualTo(1));
        Assert.That((int)rows.Single(r => (string)r!["workflow_id"]! == first.WorkflowId)!["cached_tasks"]!, Is.EqualTo(0));
        Assert.That((int)graph["cached_tasks"]!, Is.EqualTo(1));
    }

    [Test]
    public async Task Runs_are_filtered_by_status_and_name()
    {
        await _host.Engine.RunAsync(Workflows.Single("alpha"));
        var failed = await _host.Engine.RunAsync(Workflows.Failing());
        await _host.Engine.RunAsync(Workflows.Single("beta"));

        var failures = await GetJsonAsync("api/runs?status=failed");
        var alphaOrFailed = await GetJsonAsync("api/runs?status=completed,failed&name=alpha");

        Assert.That(failures["runs"]!.AsArray().Select(r => (string)r!["workflow_id"]!), Is.EqualTo(new[] { failed.WorkflowId }));
        Assert.That(alphaOrFailed["runs"]!.AsArray().Select(r => (string)r!["name"]!), Is.EqualTo(new[] { "alpha" }));
    }

    [TestCase("api/runs?status=finished", "status 'finished' is not a run status")]
    [TestCase("api/runs?limit=0", "limit '0' is not a whole number from 1 to 500")]
    [TestCase("api/runs?limit=ten", "limit 'ten'")]
    [TestCase("api/runs?limit=501", "from 1 to 500")]
    public async Task A_malformed_list_request_is_400_naming_the_problem(string path, string message)
    {
        var body = await GetJsonAsync(path, HttpStatusCode.BadRequest);

        Assert.That((string)body["error"]!["code"]!, Is.EqualTo("BAD_REQUEST"));
        Assert.That((string)body["error"]!["message"]!, Does.Contain(message));
    }

    [Test]
    public async Task A_run_has_the_shape_of_workflow_status_json()
    {
        var run = await _host.Engine.RunAsync(Workflows.Failing());

        var doc = (await GetJsonAsync($"api/runs/{run.WorkflowId}")).AsObject();

        Assert.That(doc.Select(kv => kv.Key), Is.SupersetOf(new[] { "workflow_id", "name", "status", "started_at", "completed_at", "tasks" }));
        Assert.That((string)doc["status"]!, Is.EqualTo("failed"));
        var first = doc["tasks"]!["first"]!.AsObject();
        Assert.That(first.Select(kv => kv.Key), Is.SupersetOf(new[] { "status", "result", "error", "attempts", "duration_ms" }));
        Assert.That((int)first["error"]!["code"]!, Is.EqualTo((int)GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That((string)first["error"]!["message"]!, Does.Contain("the model refused"));
        Assert.That((string)doc["tasks"]!["second"]!["status"]!, Is.EqualTo("skipped"));
    }

    [TestCase("GET", "api/runs/nope")]
    [TestCase("GET", "api/runs/nope/graph")]
    [TestCase("GET", "api/runs/nope/events")]
    [TestCase("GET", "api/runs/nope/tasks/x")]
    [TestCase("POST", "api/runs/nope/cancel")]
    [TestCase("POST", "api/runs/nope/resume")]
    [TestCase("POST", "api/runs/nope/retry")]
    public async Task An_unknown_run_is_404_with_a_json_error(string method, string path)
    {
        using var response = await _host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string)body["error"]!["code"]!, Is.EqualTo("WORKFLOW_NOT_FOUND"));
        Assert.That((string)body["error"]!["message"]!, Does.Contain("'nope'"));
    }

    [Test]
    public async Task An_unknown_task_is_404()
    {
        var run = await _host.Engine.RunAsync(Workflows.Single());

        var body = await GetJsonAsync($"api/runs/{run.WorkflowId}/tasks/ghost", HttpStatusCode.NotFound);

        Assert.That((string)body["error"]!["code"]!, Is.EqualTo("TASK_NOT_FOUND"));
    }

    [TestCase("cancel")]
    [TestCase("resume")]
    public async Task An_action_on_a_finished_run_is_409(string action)
    {
        var run = await _host.Engine.RunAsync(Workflows.Single());

        var (status, body) = await PostAsync($"api/runs/{run.WorkflowId}/{action}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((string)body["error"]!["code"]!, Is.EqualTo("WORKFLOW_FINISHED"));
        Assert.That((string)body["error"]!["message"]!, Does.Contain("already finished (completed)"));
    }

    [TestCase("not json", "not valid JSON")]
    [TestCase("[1, 2]", "not an object")]
    public async Task A_malformed_action_body_is_400(string body, string message)
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("held"));
        await _host.Gates.StartedAsync("held");

        var (status, error) = await PostAsync($"api/runs/{id}/cancel", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)error["error"]!["message"]!, Does.Contain(message));
        Assert.That((await _host.Engine.GetRunAsync(id))!.Status, Is.EqualTo(WorkflowStatus.Running), "a refused request changes nothing");
        _host.Gates.Open("held");
        await _host.Engine.WaitAsync(id);
    }

    [Test]
    public async Task Cancel_cancels_a_running_run()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("never-opened"));
        await _host.Gates.StartedAsync("never-opened");

        var (status, body) = await PostAsync($"api/runs/{id}/cancel", "{}");
        var run = await _host.Engine.WaitAsync(id);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string)body["status"]!, Is.EqualTo("cancelled"));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["merge"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
    }

    [Test]
    public async Task Resume_continues_an_interrupted_run_in_the_background()
    {
        string id;
        await using (var other = new ExecutionEngine(_host.Engine.Registry, _host.Store))
        {
            id = await other.SubmitAsync(Workflows.Diamond("resumed"));
            await _host.Gates.StartedAsync("resumed");
        }
        Assert.That((await _host.Store.GetRunAsync(id))!.Status, Is.EqualTo(WorkflowStatus.Interrupted), "disposing its engine interrupted the run");
        _host.Gates.Open("resumed");

        var (status, body) = await PostAsync($"api/runs/{id}/resume");
        await _host.Dashboard.BackgroundWorkAsync();

        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        var run = await _host.Store.GetRunAsync(id);
        Assert.That(run!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string)run.GetResult("merge")!["response"]!, Is.EqualTo("plan ready + right side"));
    }

    [Test]
    public async Task Retry_from_a_task_starts_a_new_run_that_keeps_the_tasks_upstream()
    {
        _host.Gates.Open("retried");
        var old = await _host.Engine.RunAsync(Workflows.Diamond("retried"));
        Assert.That(old.Status, Is.EqualTo(WorkflowStatus.Completed));

        var (status, body) = await PostAsync($"api/runs/{old.WorkflowId}/retry", "{\"from\": \"right\"}");
        await _host.Dashboard.BackgroundWorkAsync();

        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        var newId = (string)body["workflow_id"]!;
        Assert.That(newId, Is.Not.EqualTo(old.WorkflowId));
        Assert.That((string)body["retry_of"]!, Is.EqualTo(old.WorkflowId));
        var retried = await _host.Store.GetRunAsync(newId);
        Assert.That(retried!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(retried.RetryOf, Is.EqualTo(old.WorkflowId));
        Assert.That(retried.Tasks["plan"].CompletedAt, Is.EqualTo(old.Tasks["plan"].CompletedAt), "plan is upstream of right: kept, not run again");
        Assert.That(retried.Tasks["right"].CompletedAt, Is.Not.EqualTo(old.Tasks["right"].CompletedAt), "right ran again");
        Assert.That((string)retried.GetResult("merge")!["response"]!, Is.EqualTo("plan ready + right side"));
        Assert.That((string)(await GetJsonAsync($"api/runs/{newId}"))["retry_of"]!, Is.EqualTo(old.WorkflowId));
    }

    [Test]
    public async Task Retry_without_a_body_retries_a_failed_run()
    {
        var old = await _host.Engine.RunAsync(Workflows.Failing());

        var (status, body) = await PostAsync($"api/runs/{old.WorkflowId}/retry");
        await _host.Dashboard.BackgroundWorkAsync();

        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        var retried = await _host.Store.GetRunAsync((string)body["workflow_id"]!);
        Assert.That(retried!.RetryOf, Is.EqualTo(old.WorkflowId));
        Assert.That(retried.Status, Is.EqualTo(WorkflowStatus.Failed), "first fails again: the retry ran it");
    }

    [Test]
    public async Task Retry_of_a_running_run_is_409()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("still-held"));
        await _host.Gates.StartedAsync("still-held");

        var (status, body) = await PostAsync($"api/runs/{id}/retry");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict), body.ToJsonString());
        Assert.That((string)body["error"]!["code"]!, Is.EqualTo("WORKFLOW_STILL_RUNNING"));
        Assert.That((string)body["error"]!["message"]!, Does.Contain("not finished"));
        _host.Gates.Open("still-held");
        await _host.Engine.WaitAsync(id);
    }

    [TestCase("{\"from\": \"rigth\"}", "TASK_NOT_FOUND", "did you mean 'right'?")]
    [TestCase("{\"from\": 3}", "BAD_REQUEST", "'from' must be a string")]
    [TestCase("{\"form\": \"right\"}", "BAD_REQUEST", "Unknown field 'form'")]
    [TestCase("[\"right\"]", "BAD_REQUEST", "not an object")]
    public async Task A_malformed_retry_is_400_naming_the_problem(string request, string code, string message)
    {
        _host.Gates.Open("bad-retry");
        var old = await _host.Engine.RunAsync(Workflows.Diamond("bad-retry"));
        var before = (await _host.Store.ListRunsAsync()).Count;

        var (status, body) = await PostAsync($"api/runs/{old.WorkflowId}/retry", request);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToJsonString());
        Assert.That((string)body["error"]!["code"]!, Is.EqualTo(code));
        Assert.That((string)body["error"]!["message"]!, Does.Contain(message));
        Assert.That((await _host.Store.ListRunsAsync()).Count, Is.EqualTo(before), "a refused retry starts no run");
    }

    private async Task<string> WaitingAsync(Workflow workflow)
    {
        var id = await _host.Engine.SubmitAsync(workflow);
        await foreach (var e in _host.Engine.WatchAsync(id))
        {
            if (e is TaskWaiting) break;
        }
        return id;
    }

    [Test]
    public async Task Approve_continues_a_waiting_run()
    {
        var id = await WaitingAsync(Workflows.Approval());

        var (status, body) = await PostAsync($"api/runs/{id}/tasks/ask/approve", "{\"comment\": \"looks good\", \"by\": \"ana\"}");
        var run = await _host.Engine.WaitAsync(id);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That((string)body["status"]!, Is.EqualTo("completed"));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((bool)run.GetResult("ask")!["approved"]!, Is.True);
        Assert.That((string)run.GetResult("ask")!["by"]!, Is.EqualTo("ana"));
    }

    [Test]
    public async Task Respond_checks_the_answer_against_the_schema()
    {
        var id = await WaitingAsync(Workflows.Input());

        var (invalid, invalidBody) = await PostAsync($"api/runs/{id}/tasks/ask/respond", "{\"input\": 0}");
        var (missing, missingBody) = await PostAsync($"api/runs/{id}/tasks/ask/respond", "{\"by\": \"ana\"}");
        var (wrongKind, wrongKindBody) = await PostAsync($"api/runs/{id}/tasks/ask/approve");
        var (ok, _) = await PostAsync($"api/runs/{id}/tasks/ask/respond", "{\"input\": 3}");
        var (again, againBody) = await PostAsync($"api/runs/{id}/tasks/ask/respond", "{\"input\": 4}");

        Assert.That(invalid, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)invalidBody["error"]!["code"]!, Is.EqualTo("HUMAN_INPUT_INVALID"));
        Assert.That(missing, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)missingBody["error"]!["message"]!, Does.Contain("no 'input'"));
        Assert.That(wrongKind, Is.EqualTo(HttpStatusCode.BadRequest), wrongKindBody.ToJsonString());
        Assert.That(ok, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((int)(await _host.Engine.WaitAsync(id)).GetResult("ask")!["input"]!, Is.EqualTo(3));
        Assert.That(again, Is.EqualTo(HttpStatusCode.Conflict), againBody.ToJsonString());
    }

    [Test]
    public async Task Answering_a_task_that_is_not_waiting_is_409_and_an_unknown_one_404()
    {
        var id = await WaitingAsync(Workflows.Approval());

        var (notWaiting, notWaitingBody) = await PostAsync($"api/runs/{id}/tasks/after/approve");
        var (unknown, unknownBody) = await PostAsync($"api/runs/{id}/tasks/ghost/reject");
        var (badField, badFieldBody) = await PostAsync($"api/runs/{id}/tasks/ask/approve", "{\"approved\": true}");

        Assert.That(notWaiting, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((string)notWaitingBody["error"]!["code"]!, Is.EqualTo("TASK_NOT_WAITING"));
        Assert.That(unknown, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string)unknownBody["error"]!["code"]!, Is.EqualTo("TASK_NOT_FOUND"));
        Assert.That(badField, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)badFieldBody["error"]!["message"]!, Is.EqualTo("Unknown field 'approved'."));
        await _host.Engine.CancelAsync(id);
    }

    [Test]
    public async Task A_task_shows_resolved_parameters_its_error_with_hint_and_its_history()
    {
        var failing = await _host.Engine.RunAsync(Workflows.Failing());
        _host.Gates.Open("open");
        var diamond = await _host.Engine.RunAsync(Workflows.Diamond("open"));

        var failed = await GetJsonAsync($"api/runs/{failing.WorkflowId}/tasks/first");
        var merge = await GetJsonAsync($"api/runs/{diamond.WorkflowId}/tasks/merge");

        Assert.That((string)failed["error"]!["name"]!, Is.EqualTo("TASK_EXECUTION_FAILED"));
        Assert.That((string)failed["error"]!["hint"]!, Is.EqualTo("This task fails on purpose."));
        Assert.That(failed["history"]!.AsArray().Select(h => (string)h!["status"]!), Does.Contain("failed"));
        Assert.That((string)merge["parameters"]!["message"]!, Is.EqualTo("${left.response} + ${right.response}"));
        Assert.That((string)merge["resolved_parameters"]!["message"]!, Is.EqualTo("plan ready + right side"));
        Assert.That((string)merge["method"]!, Is.EqualTo("gate/pass"));
        Assert.That(merge["dependencies"]!.AsArray().Select(d => (string)d!), Is.EqualTo(new[] { "left", "right" }));
    }

    [Test]
    public async Task A_huge_result_is_truncated_with_a_link_to_the_whole_of_it()
    {
        var big = new string('x', 5000);
        var run = await _host.Engine.RunAsync(Workflows.Single(result: new JsonObject { ["response"] = big }));

        var task = await GetJsonAsync($"api/runs/{run.WorkflowId}/tasks/only");
        using var download = await _host.Http.GetAsync((string)task["result_url"]!);
        var whole = JsonNode.Parse(await download.Content.ReadAsStringAsync())!;

        Assert.That((bool)task["result_truncated"]!, Is.True);
        Assert.That(task["result"], Is.Null);
        Assert.That(((string)task["result_preview"]!).Length, Is.EqualTo(1000));
        Assert.That((int)task["result_size"]!, Is.GreaterThan(5000));
        Assert.That(download.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
        Assert.That((string)whole["response"]!, Is.EqualTo(big));
    }

    [Test]
    public async Task The_event_stream_sends_a_snapshot_then_updates_then_end()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("watched"));
        await _host.Gates.StartedAsync("watched");
        using var events = await EventStreamReader.OpenAsync(_host.Http, $"api/runs/{id}/events");

        var snapshot = await events.UntilAsync("snapshot");
        _host.Gates.Open("watched");
        var leftDone = await events.UntilAsync("update", u => u["nodes"]!.AsArray().Any(n => (string)n!["id"]! == "left" && (string)n["status"]! == "completed"));
        var end = await events.UntilAsync("end");

        Assert.That(events.Response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(snapshot["nodes"]!.AsArray().Select(n => (string)n!["id"]!), Is.EqualTo(new[] { "plan", "left", "right", "merge" }));
        Assert.That((string)snapshot["nodes"]![1]!["status"]!, Is.EqualTo("running"));
        Assert.That(leftDone["run"]!["workflow_id"]!.GetValue<string>(), Is.EqualTo(id));
        Assert.That((string)end["status"]!, Is.EqualTo("completed"));
        Assert.That(await events.NextAsync(), Is.Null, "the server closes the stream after end");
    }

    [Test]
    public async Task A_client_that_disconnects_releases_its_stream()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("idle"));
        await _host.Gates.StartedAsync("idle");
        using (var events = await EventStreamReader.OpenAsync(_host.Http, $"api/runs/{id}/events"))
        {
            await events.UntilAsync("snapshot");
            Assert.That(_host.Dashboard.OpenStreams, Is.EqualTo(1));
        }

        await Eventually(() => _host.Dashboard.OpenStreams == 0);

        Assert.That(_host.Dashboard.OpenStreams, Is.Zero);
        _host.Gates.Open("idle");
        Assert.That((await _host.Engine.WaitAsync(id)).Status, Is.EqualTo(WorkflowStatus.Completed), "the run goes on without watchers");
    }

    [Test]
    public async Task A_stored_run_executing_in_another_process_is_followed_through_the_store()
    {
        await using var host = await DashboardHost.StartAsync(configure: o => o.StorePollInterval = TimeSpan.FromMilliseconds(20));
        await using var other = new ExecutionEngine(host.Engine.Registry, host.Store);
        var id = await other.SubmitAsync(Workflows.Diamond("elsewhere"));
        await host.Gates.StartedAsync("elsewhere");
        using var events = await EventStreamReader.OpenAsync(host.Http, $"api/runs/{id}/events");

        await events.UntilAsync("snapshot");
        host.Gates.Open("elsewhere");
        var end = await events.UntilAsync("end");

        Assert.That((string)end["status"]!, Is.EqualTo("completed"));
    }

    /// <summary>Waits for a condition that another thread makes true (bounded, so a bug fails the test instead of hanging it).</summary>
    internal static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++) await Task.Delay(10);
    }
}
