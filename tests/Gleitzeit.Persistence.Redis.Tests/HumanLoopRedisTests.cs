using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Human;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>Issue 18 with Redis: a queued run's human task waits in Redis (no worker holds it), an answer recorded through
/// the queue continues the run on a worker process, the first of concurrent answers wins, and a timeout is decided by a
/// worker through the delayed set.</summary>
[NonParallelizable]
public sealed class HumanLoopRedisTests
{
    private static Workflow Approval(JsonObject? extra = null)
    {
        var parameters = new JsonObject { ["prompt"] = "Go on after ${a.n}?" };
        foreach (var (k, v) in extra ?? []) parameters[k] = v?.DeepClone();
        return new WorkflowBuilder("redis-approval")
            .AddTask("a", "test/sum", new JsonObject { ["add"] = 1 })
            .AddTask("approve", "human/approval", parameters, t => t.DependsOn("a"))
            .AddTask("b", "test/sum", new JsonObject { ["add"] = 1, ["values"] = new JsonArray("${a.n}") }, t => t.DependsOn("approve"))
            .Build();
    }

    /// <summary>Until the stored run is waiting (re-read on a short pause; bounded so a broken run fails the test).</summary>
    private static async Task<WorkflowRun> UntilWaitingAsync(RedisWorkflowStore store, string id)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var run = await store.GetRunAsync(id, limit.Token);
            if (run?.Status == WorkflowStatus.Waiting) return run;
            Assert.That(run?.IsFinished, Is.Not.True, "the run ended instead of waiting: " + run?.Error);
            await Task.Delay(50, limit.Token);
        }
    }

    [Test]
    public async Task An_answer_through_the_queue_continues_the_run_on_a_worker_process()
    {
        var options = RedisTestServer.NewOptions("human-process");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var worker = await WorkerProcess.StartAsync(options, "hw1");

        var id = await queue.SubmitAsync(Approval());
        var waiting = await UntilWaitingAsync(store, id);
        Assert.That(waiting.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting));
        Assert.That((string?)waiting.Tasks["approve"].Result!["prompt"], Is.EqualTo("Go on after 1?"));
        Assert.That(waiting.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));

        var decided = await queue.AnswerAsync(id, "approve", HumanAnswer.Approve("fine", "ann"));
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = await queue.WaitAsync(id, limit.Token);

        Assert.That(decided.Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That((bool)run.Tasks["approve"].Result!["approved"]!, Is.True);
        Assert.That((long)run.Tasks["b"].Result!["n"]!, Is.EqualTo(2));
        Assert.That(worker.Executions().Count(l => l.StartsWith(id + "\tb\t", StringComparison.Ordinal)), Is.EqualTo(1), "the worker process ran the rest once");
    }

    [Test]
    public async Task Of_concurrent_answers_through_redis_the_first_wins_and_bad_answers_change_nothing()
    {
        await using var harness = Harness.Create("human-race");
        harness.StartWorker();
        var id = await harness.Queue.SubmitAsync(Approval());
        await UntilWaitingAsync(harness.Store, id);
        var before = (await harness.Store.GetEventsAsync(id)).Count;

        var notWaiting = Assert.ThrowsAsync<GleitzeitException>(() => harness.Queue.AnswerAsync(id, "b", HumanAnswer.Approve()));
        var unknown = Assert.ThrowsAsync<GleitzeitException>(() => harness.Queue.AnswerAsync(id, "aprove", HumanAnswer.Approve()));
        Assert.That((await notWaiting)!.Code, Is.EqualTo(GleitzeitErrorCode.TaskNotWaiting));
        Assert.That((await unknown)!.Message, Does.Contain("did you mean 'approve'"));
        Assert.That((await harness.Store.GetEventsAsync(id)).Count, Is.EqualTo(before));

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            try
            {
                await harness.Queue.AnswerAsync(id, "approve", i % 2 == 0 ? HumanAnswer.Approve(by: $"p{i}") : HumanAnswer.Reject(by: $"p{i}"));
                return (GleitzeitErrorCode?)null;
            }
            catch (GleitzeitException ex)
            {
                return ex.Code;
            }
        })));
        var run = await harness.WaitAsync(id);

        Assert.That(answers.Count(a => a is null), Is.EqualTo(1));
        Assert.That(answers.Where(a => a is not null), Is.All.EqualTo(GleitzeitErrorCode.TaskAlreadyAnswered).Or.EqualTo(GleitzeitErrorCode.TaskNotWaiting));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((await harness.CompletionsAsync(id))["b"], Is.EqualTo(1));
        Assert.That(harness.ExecutionCount(id, "b"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_timeout_is_decided_by_a_worker_when_it_comes_back_from_the_delayed_set()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = Harness.Create("human-timeout");
        harness.StartWorker(time: time);
        var id = await harness.Queue.SubmitAsync(Approval(new JsonObject { ["timeout"] = 600, ["on_timeout"] = "reject" }));
        await UntilWaitingAsync(harness.Store, id);

        time.Advance(TimeSpan.FromSeconds(600));
        var run = await harness.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That((bool)run.Tasks["approve"].Result!["approved"]!, Is.False);
        Assert.That((bool)run.Tasks["approve"].Result!["timed_out"]!, Is.True);
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
    }
}
