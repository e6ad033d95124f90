using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Human;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Core.Tests.Human;

/// <summary>human/approval and human/input in the engine: waiting holds nothing, answers continue the run exactly once,
/// timeouts follow on_timeout on a fake clock, and every refused answer leaves the store as it was.</summary>
public sealed class HumanLoopTests
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);
    private FakeTimeProvider _time = null!;
    private ConcurrentDictionary<string, int> _calls = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _calls = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
    }

    private ExecutionEngine Engine(IWorkflowStore store)
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", (inv, _) =>
        {
            _calls.AddOrUpdate(inv.TaskId, 1, (_, n) => n + 1);
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = inv.Parameters["message"]?.DeepClone() });
        }, "echo"));
        registry.Register(HumanProvider.Instance);
        var options = Options.Create(new GleitzeitOptions { RunLeaseDuration = LeaseDuration });
        return new ExecutionEngine(registry, store, options, timeProvider: _time);
    }

    private static Workflow Approval(string id, JsonObject? extra = null)
    {
        var parameters = new JsonObject { ["prompt"] = "Send '${draft.response}'?" };
        foreach (var (k, v) in extra ?? []) parameters[k] = v?.DeepClone();
        return new WorkflowBuilder("approval")
            .AddTask("draft", "echo", new JsonObject { ["message"] = "hello" }, t => t.WithProtocol("echo/v1"))
            .AddTask("approve", "human/approval", parameters, t => t.DependsOn("draft"))
            .AddTask("send", "echo", new JsonObject { ["message"] = "${approve.approved}" }, t => t.WithProtocol("echo/v1").DependsOn("approve"))
            .Build() with { Id = id };
    }

    private static Workflow Input(string id) => new WorkflowBuilder("input")
        .AddTask("ask", "human/input", new JsonObject
        {
            ["prompt"] = "Who receives it?",
            ["schema"] = JsonNode.Parse("""{"type":"object","required":["email"],"properties":{"email":{"type":"string","pattern":"@"},"copies":{"type":"integer","minimum":1}}}"""),
        })
        .AddTask("send", "echo", new JsonObject { ["message"] = "${ask.input.email}" }, t => t.WithProtocol("echo/v1").DependsOn("ask"))
        .Build() with { Id = id };

    /// <summary>Submits and returns once the run is stored waiting.</summary>
    private static async Task<string> SubmitUntilWaitingAsync(ExecutionEngine engine, Workflow workflow, IWorkflowStore store)
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = await engine.SubmitAsync(workflow, new RunOptions { OnEvent = e => { if (e is WorkflowWaiting) waiting.TrySetResult(); } });
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That((await store.GetRunAsync(id))!.Status, Is.EqualTo(WorkflowStatus.Waiting));
        return id;
    }

    [Test]
    public async Task An_approval_waits_stored_and_an_approve_completes_it_and_continues_the_run()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-approve"), store);
        var stored = await store.GetRunAsync(id);
        Assert.That(stored!.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting));
        Assert.That((string?)stored.Tasks["approve"].Result!["prompt"], Is.EqualTo("Send 'hello'?"), "the prompt's references are resolved");
        Assert.That(stored.Tasks["send"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));

        var decided = await engine.ApproveAsync(id, "approve", "looks good", "ann");
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        var result = run.Tasks["approve"].Result!;
        Assert.That((bool)result["approved"]!, Is.True);
        Assert.That((string?)result["by"], Is.EqualTo("ann"));
        Assert.That((string?)result["comment"], Is.EqualTo("looks good"));
        Assert.That((string?)result["decided_at"], Is.EqualTo("2026-01-01T00:00:00.0000000Z"));
        Assert.That(decided.Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That((bool)run.Tasks["send"].Result!["response"]!, Is.True);
        Assert.That(_calls["draft"], Is.EqualTo(1));
    }

    [Test]
    public async Task A_rejection_completes_the_approval_with_approved_false()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-reject"), store);

        await engine.RejectAsync(id, "approve", "too rude", "bob");
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That((bool)run.Tasks["approve"].Result!["approved"]!, Is.False);
        Assert.That((string?)run.Tasks["approve"].Result!["comment"], Is.EqualTo("too rude"));
        Assert.That((bool)run.Tasks["send"].Result!["response"]!, Is.False);
    }

    [Test]
    public async Task An_input_matching_the_schema_completes_the_task_and_dependents_read_it()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Input("wf-input"), store);

        await engine.RespondAsync(id, "ask", JsonNode.Parse("""{"email":"a@example.org","copies":2}"""), "carol");
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.Tasks["ask"].Result!["input"]!["email"], Is.EqualTo("a@example.org"));
        Assert.That((string?)run.Tasks["ask"].Result!["by"], Is.EqualTo("carol"));
        Assert.That((string?)run.Tasks["send"].Result!["response"], Is.EqualTo("a@example.org"));
    }

    [Test]
    public async Task An_input_not_matching_the_schema_is_refused_with_the_violation_and_its_path_and_the_task_keeps_waiting()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Input("wf-bad-input"), store);
        var eventsBefore = (await store.GetEventsAsync(id)).Count;

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => engine.RespondAsync(id, "ask", JsonNode.Parse("""{"email":"nobody","copies":0}""")));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.HumanInputInvalid));
        Assert.That(ex.Message, Does.Contain("$.email"));
        Assert.That(ex.Message, Does.Contain("$.copies"));
        Assert.That(ex.Message, Does.Contain("keeps waiting"));
        var stored = await store.GetRunAsync(id);
        Assert.That(stored!.Tasks["ask"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting));
        Assert.That((await store.GetEventsAsync(id)).Count, Is.EqualTo(eventsBefore), "nothing was written");

        await engine.RespondAsync(id, "ask", JsonNode.Parse("""{"email":"x@y"}"""));
        Assert.That((await engine.WaitAsync(id)).Status, Is.EqualTo(WorkflowStatus.Completed));
    }

    [TestCase("approve", true)]
    [TestCase("reject", false)]
    public async Task A_timeout_decides_as_on_timeout_says(string onTimeout, bool approved)
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-timeout-" + onTimeout, new JsonObject { ["timeout"] = "1h", ["on_timeout"] = onTimeout }), store);
        Assert.That((string?)(await store.GetRunAsync(id))!.Tasks["approve"].Result!["timeout_at"], Is.EqualTo("2026-01-01T01:00:00.0000000Z"));

        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.That((await store.GetRunAsync(id))!.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting), "not before its timeout");
        _time.Advance(TimeSpan.FromMinutes(1));
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((bool)run.Tasks["approve"].Result!["approved"]!, Is.EqualTo(approved));
        Assert.That((bool)run.Tasks["approve"].Result!["timed_out"]!, Is.True);
        Assert.That(run.Tasks["send"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
    }

    [Test]
    public async Task A_timeout_with_on_timeout_fail_fails_the_task_and_skips_its_dependents()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-timeout-fail", new JsonObject { ["timeout"] = 60 }), store);

        _time.Advance(TimeSpan.FromSeconds(60));
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(run.Tasks["approve"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.HumanTimeout));
        Assert.That(run.Tasks["send"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
    }

    [Test]
    public async Task An_answer_after_the_timeout_decided_is_refused_and_changes_nothing()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-late", new JsonObject { ["timeout"] = 60, ["on_timeout"] = "reject" }), store);
        _time.Advance(TimeSpan.FromSeconds(60));
        await engine.WaitAsync(id);
        var before = (await store.GetEventsAsync(id)).Count;

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => engine.ApproveAsync(id, "approve"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskAlreadyAnswered));
        Assert.That((bool)(await store.GetRunAsync(id))!.Tasks["approve"].Result!["approved"]!, Is.False);
        Assert.That((await store.GetEventsAsync(id)).Count, Is.EqualTo(before));
    }

    [Test]
    public async Task An_answer_to_an_expired_wait_whose_owner_is_gone_is_refused_as_a_timeout()
    {
        var store = new InMemoryWorkflowStore();
        string id;
        await using (var first = Engine(store))
        {
            id = await SubmitUntilWaitingAsync(first, Approval("wf-expired", new JsonObject { ["timeout"] = 60 }), store);
        }
        _time.Advance(TimeSpan.FromMinutes(5));
        await using var second = Engine(store);

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => second.ApproveAsync(id, "approve"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.HumanTimeout));
        Assert.That((await store.GetRunAsync(id))!.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting), "store unchanged");
    }

    [Test]
    public async Task Answers_to_a_task_that_is_not_waiting_an_unknown_task_or_an_unknown_run_are_clear_errors_and_change_nothing()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-bad"), store);
        var before = (await store.GetEventsAsync(id)).Count;

        var pending = await Assert.ThrowsAsync<GleitzeitException>(() => engine.ApproveAsync(id, "send"));
        var unknown = await Assert.ThrowsAsync<GleitzeitException>(() => engine.ApproveAsync(id, "aprove"));
        var noRun = await Assert.ThrowsAsync<GleitzeitException>(() => engine.ApproveAsync("wf-none", "approve"));
        var wrongKind = await Assert.ThrowsAsync<GleitzeitException>(() => engine.RespondAsync(id, "approve", JsonValue.Create(1)));

        Assert.That(pending!.Code, Is.EqualTo(GleitzeitErrorCode.TaskNotWaiting));
        Assert.That(pending.Message, Does.Contain("pending").And.Contain("Waiting for an answer: approve"));
        Assert.That(unknown!.Code, Is.EqualTo(GleitzeitErrorCode.TaskNotFound));
        Assert.That(unknown.Message, Does.Contain("waiting for an answer: approve").And.Contain("did you mean 'approve'"));
        Assert.That(noRun!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
        Assert.That(wrongKind!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That((await store.GetEventsAsync(id)).Count, Is.EqualTo(before));
        Assert.That((await store.GetRunAsync(id))!.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting));
    }

    [Test]
    public async Task Of_two_answers_given_at_once_the_first_wins_and_the_second_is_told()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-race"), store);

        var answers = Enumerable.Range(0, 8).Select(i => Task.Run(() => i % 2 == 0 ? engine.ApproveAsync(id, "approve", by: $"p{i}") : engine.RejectAsync(id, "approve", by: $"p{i}"))).ToList();
        var outcomes = await Task.WhenAll(answers.Select(async a =>
        {
            try { return (Ok: true, Error: (GleitzeitException?)null, Result: (TaskResult?)await a); }
            catch (GleitzeitException ex) { return (Ok: false, Error: ex, Result: null); }
        }));
        var run = await engine.WaitAsync(id);

        Assert.That(outcomes.Count(o => o.Ok), Is.EqualTo(1));
        Assert.That(outcomes.Where(o => !o.Ok).Select(o => o.Error!.Code), Is.All.EqualTo(GleitzeitErrorCode.TaskAlreadyAnswered).Or.EqualTo(GleitzeitErrorCode.TaskNotWaiting));
        var winner = outcomes.Single(o => o.Ok).Result!;
        Assert.That(run.Tasks["approve"].Result!["by"]!.ToJsonString(), Is.EqualTo(winner.Result!["by"]!.ToJsonString()));
        Assert.That(_calls["send"], Is.EqualTo(1), "the run continued exactly once");
        Assert.That((await store.GetEventsAsync(id)).Count(e => e.TaskId == "approve" && e.Status == "completed"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_waiting_run_left_by_its_process_is_stored_waiting_and_an_answer_from_another_engine_continues_it()
    {
        var store = new InMemoryWorkflowStore();
        string id;
        await using (var first = Engine(store))
        {
            id = await SubmitUntilWaitingAsync(first, Approval("wf-exit"), store);
        }
        var left = await store.GetRunAsync(id);
        Assert.That(left!.Status, Is.EqualTo(WorkflowStatus.Waiting));
        Assert.That(left.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Waiting));
        Assert.That(await store.GetLeaseAsync(id), Is.Null, "no live owner");

        await using var second = Engine(store);
        await second.ApproveAsync(id, "approve", by: "dave");
        var run = await second.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(_calls["draft"], Is.EqualTo(1), "completed tasks are not run again");
        Assert.That(_calls["send"], Is.EqualTo(1));
    }

    [Test]
    public async Task A_resumed_waiting_run_waits_again_without_asking_twice_and_its_timeout_still_holds()
    {
        var store = new InMemoryWorkflowStore();
        string id;
        await using (var first = Engine(store))
        {
            id = await SubmitUntilWaitingAsync(first, Approval("wf-resume", new JsonObject { ["timeout"] = "10m", ["on_timeout"] = "approve" }), store);
        }
        var asked = (await store.GetRunAsync(id))!.Tasks["approve"].Result!.ToJsonString();
        await using var second = Engine(store);

        var resumed = second.ResumeAsync(id);
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.That((await store.GetRunAsync(id))!.Tasks["approve"].Result!.ToJsonString(), Is.EqualTo(asked), "still the first request");
        _time.Advance(TimeSpan.FromMinutes(1));
        var run = await resumed;

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((bool)run.Tasks["approve"].Result!["timed_out"]!, Is.True);
        Assert.That(_calls["draft"], Is.EqualTo(1));
    }

    [Test]
    public async Task An_answer_recorded_elsewhere_reaches_the_live_owner_on_its_lease_heartbeat()
    {
        var store = new InMemoryWorkflowStore();
        await using var owner = Engine(store);
        var id = await SubmitUntilWaitingAsync(owner, Approval("wf-owner"), store);
        await using var elsewhere = Engine(store);

        await elsewhere.ApproveAsync(id, "approve", by: "erin");
        Assert.That(elsewhere.IsActive(id), Is.False, "a live owner holds the run: the answer is only recorded");
        Assert.That(owner.IsActive(id), Is.True);
        _time.Advance(LeaseDuration / 3);
        var run = await owner.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.Tasks["approve"].Result!["by"], Is.EqualTo("erin"));
        Assert.That(_calls["send"], Is.EqualTo(1));
    }

    [Test]
    public async Task Cancelling_a_waiting_run_cancels_its_waiting_task()
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = Engine(store);
        var id = await SubmitUntilWaitingAsync(engine, Approval("wf-cancel", new JsonObject { ["timeout"] = 60 }), store);

        await engine.CancelAsync(id);
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.That((await store.GetRunAsync(id))!.Tasks["approve"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled), "the timeout no longer decides");
    }

    [Test]
    public void An_invalid_schema_or_on_timeout_is_a_located_validation_error()
    {
        const string yaml = """
            name: bad-human
            tasks:
              - id: ask
                method: human/input
                params:
                  prompt: "Your name?"
                  schema: { type: strnig }
              - id: ok
                method: human/approval
                params:
                  prompt: "Fine?"
                  on_timeout: maybe
            """;
        var registry = new ProviderRegistry();
        registry.Register(HumanProvider.Instance);

        var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.Parse(yaml, registry: registry));

        var schema = ex!.Errors.Single(e => e.TaskId == "ask");
        Assert.That(schema.Message, Does.Contain("invalid JSON Schema"));
        Assert.That(schema.Location!.Line, Is.EqualTo(7));
        var onTimeout = ex.Errors.Single(e => e.TaskId == "ok");
        Assert.That(onTimeout.Message, Does.Contain("approve, reject or fail"));
        Assert.That(onTimeout.Location!.Line, Is.EqualTo(12));
    }
}
