using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gleitzeit.Cli.Tests;

/// <summary>Issue 18 through the built tool on one SQLite file: a run waits for a person, is answered by another
/// gleitzeit process (approve, reject, respond), continues exactly once, survives its process being killed, and every
/// bad answer is refused with its exit code and nothing changed in the store.</summary>
public sealed partial class HumanLoopCliTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    private string ApprovalWorkflow() => _cli.WriteFile("approval.yaml", """
        name: approval
        tasks:
          - id: draft
            method: python/execute
            parameters: { code: "result = {'subject': 'Release 1.0'}" }
          - id: approve
            method: human/approval
            dependencies: [draft]
            parameters: { prompt: "Send '${draft.result.subject}'?" }
          - id: send
            method: python/execute
            dependencies: [approve]
            parameters:
              code: "result = ('sent: ' + subject) if approved else ('held back: ' + str(comment))"
              context: { subject: "${draft.result.subject}", approved: "${approve.approved}", comment: "${approve.comment}" }
        """);

    private string InputWorkflow() => _cli.WriteFile("input.yaml", """
        name: input
        tasks:
          - id: ask
            method: human/input
            parameters:
              prompt: "Who receives the report?"
              schema:
                type: object
                required: [email]
                properties:
                  email: { type: string, pattern: "@" }
          - id: send
            method: python/execute
            dependencies: [ask]
            parameters: { code: "result = 'to ' + email", context: { email: "${ask.input.email}" } }
        """);

    /// <summary><c>run FILE --detach</c>: runs until the run waits for a person; returns its id.</summary>
    private async Task<string> RunUntilWaitingAsync(string file)
    {
        var result = await _cli.RunAsync("run", file, "--detach", "--json");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var json = result.Json();
        Assert.That((string?)json["status"], Is.EqualTo("waiting"), result.ToString());
        return (string)json["workflow_id"]!;
    }

    private async Task<JsonNode> StatusAsync(string id) => (await _cli.RunAsync("workflow", "status", id, "--json")).Json();

    [Test]
    public async Task Run_prints_what_is_awaited_and_the_exact_commands_and_detach_leaves_it_stored_waiting()
    {
        var file = ApprovalWorkflow();

        var result = await _cli.RunAsync("run", file, "--detach");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var id = RunId().Match(result.StdOut).Groups[1].Value;
        Assert.That(result.StdOut, Does.Contain("task approve waits for approval: Send 'Release 1.0'?"), result.ToString());
        Assert.That(result.StdOut, Does.Contain($"gleitzeit workflow approve {id} approve [--comment TEXT]"));
        Assert.That(result.StdOut, Does.Contain($"gleitzeit workflow reject {id} approve [--comment TEXT]"));
        var status = await StatusAsync(id);
        Assert.That((string?)status["status"], Is.EqualTo("waiting"));
        Assert.That((string?)status["tasks"]!["approve"]!["status"], Is.EqualTo("waiting"));
        Assert.That((string?)status["tasks"]!["approve"]!["result"]!["prompt"], Is.EqualTo("Send 'Release 1.0'?"));
        var listed = (await _cli.RunAsync("workflow", "list", "--status", "waiting", "--json")).Json();
        Assert.That(listed["runs"]!.AsArray().Select(r => (string?)r!["workflow_id"]), Is.EqualTo(new[] { id }));
    }

    [Test]
    public async Task Approve_from_another_process_continues_the_run_in_the_foreground()
    {
        var id = await RunUntilWaitingAsync(ApprovalWorkflow());

        var result = await _cli.RunAsync("workflow", "approve", id, "approve", "--comment", "ship it", "--by", "ann", "--json");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var run = result.Json();
        Assert.That((string?)run["status"], Is.EqualTo("completed"));
        var approval = run["tasks"]!["approve"]!["result"]!;
        Assert.That((bool)approval["approved"]!, Is.True);
        Assert.That((string?)approval["by"], Is.EqualTo("ann"));
        Assert.That((string?)approval["comment"], Is.EqualTo("ship it"));
        Assert.That((string?)run["tasks"]!["send"]!["result"]!["result"], Is.EqualTo("sent: Release 1.0"));
    }

    [Test]
    public async Task Reject_completes_the_approval_with_approved_false()
    {
        var id = await RunUntilWaitingAsync(ApprovalWorkflow());

        var result = await _cli.RunAsync("workflow", "reject", id, "approve", "--comment", "too early", "--json");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var run = result.Json();
        Assert.That((bool)run["tasks"]!["approve"]!["result"]!["approved"]!, Is.False);
        Assert.That((string?)run["tasks"]!["send"]!["result"]!["result"], Is.EqualTo("held back: too early"));
    }

    [Test]
    public async Task Respond_with_a_matching_input_continues_and_a_mismatch_is_refused_with_its_path_and_nothing_changes()
    {
        var id = await RunUntilWaitingAsync(InputWorkflow());
        var before = await StatusAsync(id);

        var bad = await _cli.RunAsync("workflow", "respond", id, "ask", "--data", """{"email": "nobody"}""");

        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.ToString());
        Assert.That(bad.StdErr, Does.Contain("$.email").And.Contain("HUMAN_INPUT_INVALID").And.Contain("keeps waiting"), bad.ToString());
        Assert.That((await StatusAsync(id)).ToJsonString(), Is.EqualTo(before.ToJsonString()), "nothing changed in the store");

        var good = await _cli.RunAsync("workflow", "respond", id, "ask", "--data", """{"email": "team@example.org"}""", "--json");

        Assert.That(good.ExitCode, Is.Zero, good.ToString());
        Assert.That((string?)good.Json()["tasks"]!["send"]!["result"]!["result"], Is.EqualTo("to team@example.org"));
    }

    [Test]
    public async Task Bad_answers_are_clear_errors_with_their_exit_codes_and_change_nothing()
    {
        var id = await RunUntilWaitingAsync(ApprovalWorkflow());
        var before = (await StatusAsync(id)).ToJsonString();

        var noRun = await _cli.RunAsync("workflow", "approve", "wf-nope", "approve");
        var noTask = await _cli.RunAsync("workflow", "approve", id, "aprove");
        var notWaiting = await _cli.RunAsync("workflow", "approve", id, "send");
        var wrongKind = await _cli.RunAsync("workflow", "respond", id, "approve", "--data", "1");
        var badJson = await _cli.RunAsync("workflow", "respond", id, "approve", "--data", "{oops");

        Assert.That(noRun.ExitCode, Is.EqualTo(1), noRun.ToString());
        Assert.That(noRun.StdErr, Does.Contain("No run with id 'wf-nope'"));
        Assert.That(noTask.ExitCode, Is.EqualTo(1), noTask.ToString());
        Assert.That(noTask.StdErr, Does.Contain("waiting for an answer: approve").And.Contain("did you mean 'approve'"));
        Assert.That(notWaiting.ExitCode, Is.EqualTo(1), notWaiting.ToString());
        Assert.That(notWaiting.StdErr, Does.Contain("TASK_NOT_WAITING").And.Contain("is pending"));
        Assert.That(wrongKind.ExitCode, Is.EqualTo(2), wrongKind.ToString());
        Assert.That(wrongKind.StdErr, Does.Contain("asks for an approval"));
        Assert.That(badJson.ExitCode, Is.EqualTo(2), badJson.ToString());
        Assert.That(badJson.StdErr, Does.Contain("--data is not valid JSON"));
        Assert.That((await StatusAsync(id)).ToJsonString(), Is.EqualTo(before), "nothing changed in the store");
    }

    [Test]
    public async Task Of_two_processes_answering_at_once_the_first_wins_and_the_second_is_told()
    {
        var id = await RunUntilWaitingAsync(ApprovalWorkflow());

        var answers = await Task.WhenAll(
            _cli.RunAsync("workflow", "approve", id, "approve", "--by", "ann", "--detach"),
            _cli.RunAsync("workflow", "reject", id, "approve", "--by", "bob", "--detach"));

        Assert.That(answers.Count(a => a.ExitCode == 0), Is.EqualTo(1), string.Join("\n", answers.Select(a => a.ToString())));
        var loser = answers.Single(a => a.ExitCode != 0);
        Assert.That(loser.ExitCode, Is.EqualTo(1), loser.ToString());
        Assert.That(loser.StdErr, Does.Contain("TASK_ALREADY_ANSWERED"), loser.ToString());
        var winner = answers[0].ExitCode == 0 ? "ann" : "bob";
        var status = await StatusAsync(id);
        Assert.That((string?)status["tasks"]!["approve"]!["result"]!["by"], Is.EqualTo(winner));
        Assert.That((string?)status["tasks"]!["send"]!["status"], Is.EqualTo("pending"), "--detach only records");

        var resumed = await _cli.RunAsync("workflow", "resume", id, "--json");

        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That((string?)resumed.Json()["tasks"]!["send"]!["status"], Is.EqualTo("completed"));
    }

    [Test]
    public async Task A_foreground_run_continues_itself_when_another_process_answers()
    {
        var file = ApprovalWorkflow();
        using var run = _cli.Start("run", file);
        run.StandardInput.Close();
        var id = await ReadUntilAsync(run, "waits for approval");

        var answer = await _cli.RunAsync("workflow", "approve", id, "approve", "--by", "carol");

        Assert.That(answer.ExitCode, Is.Zero, answer.ToString());
        Assert.That(answer.StdOut, Does.Contain("continues it within"), "the live owner continues, not the answering process");
        var ended = await ExitAsync(run);
        Assert.That(ended.ExitCode, Is.Zero, ended.ToString());
        Assert.That(ended.StdOut, Does.Contain("approved by carol").And.Contain("sent: Release 1.0"), ended.ToString());
    }

    [Test]
    public async Task A_run_whose_process_was_killed_while_waiting_is_answered_and_completed_by_another()
    {
        var file = ApprovalWorkflow();
        using var run = _cli.Start("run", file);
        run.StandardInput.Close();
        var id = await ReadUntilAsync(run, "waits for approval");
        run.Kill(entireProcessTree: true);
        await run.WaitForExitAsync();

        var answer = await _cli.RunAsync("workflow", "approve", id, "approve", "--json");

        Assert.That(answer.ExitCode, Is.Zero, answer.ToString());
        var json = answer.Json();
        Assert.That((string?)json["status"], Is.EqualTo("completed"));
        Assert.That((int)json["tasks"]!["draft"]!["attempts"]!, Is.EqualTo(1), "completed tasks are not run again");
        Assert.That((string?)json["tasks"]!["send"]!["result"]!["result"], Is.EqualTo("sent: Release 1.0"));
    }

    /// <summary>Reads stdout until a line contains <paramref name="text"/>; returns the run id printed before it.</summary>
    private static async Task<string> ReadUntilAsync(Process process, string text)
    {
        var seen = new List<string>();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        string? id = null;
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(limit.Token);
            if (line is null) throw new AssertionException($"gleitzeit ended before '{text}':\n{string.Join('\n', seen)}\n{await process.StandardError.ReadToEndAsync()}");
            seen.Add(line);
            if (RunId().Match(line) is { Success: true } m) id = m.Groups[1].Value;
            if (line.Contains(text, StringComparison.Ordinal)) return id ?? throw new AssertionException("no run id before: " + string.Join('\n', seen));
        }
    }

    private static async Task<CliResult> ExitAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertionException("the run did not continue after the answer");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"\((wf-[0-9a-f]+)\) started")]
    private static partial Regex RunId();
}
