using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Gleitzeit.Cli.Tests;

/// <summary>
/// Issue 15.7, 15.8 and 15.4 against the built tool: a signal interrupts a run (exit 130 / 143) and <c>workflow resume</c>
/// completes it; a second Ctrl+C cancels it for good; a run another live process executes is not resumed twice; a full
/// disk under the SQLite store ends the run failed, and it resumes once space is back.
/// </summary>
public sealed partial class LifecycleTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    /// <summary>fast, then slow: slow blocks for ten minutes the first time it runs (a marker file records that), and
    /// completes at once when resumed.</summary>
    private string StoppableWorkflow()
    {
        var marker = Path.Combine(_cli.Home, "slow-ran-once");
        return _cli.WriteFile("stoppable.yaml", $$"""
            name: stoppable
            tasks:
              - id: fast
                method: python/execute
                parameters:
                  code: "result = 1"
              - id: slow
                method: python/execute
                depends_on: [fast]
                parameters:
                  code: |
                    import os, time
                    marker = {{PythonString(marker)}}
                    if not os.path.exists(marker):
                        open(marker, 'w').close()
                        time.sleep(600)
                    result = 2
            """);
    }

    private static string PythonString(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>A started <c>gleitzeit run</c> whose stdout has been read up to the line saying a task started.</summary>
    private sealed class Started(Process process, string runId, Task<string> restOfStdout, StderrLines stderr) : IDisposable
    {
        public Process Process { get; } = process;

        public string RunId { get; } = runId;

        public StderrLines Stderr { get; } = stderr;

        public async Task<CliResult> ExitAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await Process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                throw new AssertionException("gleitzeit did not exit after the signal");
            }
            return new CliResult(Process.ExitCode, await restOfStdout, await Stderr.AllAsync());
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", [$"-{name}", Process.Id.ToString(CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>stderr read line by line, so a test can wait for a line (the process noticed a signal) before going on.</summary>
    private sealed class StderrLines
    {
        private readonly System.Text.StringBuilder _text = new();
        private readonly Lock _gate = new();
        private readonly List<(string Text, TaskCompletionSource Seen)> _waiting = [];
        private readonly Task _pump;

        public StderrLines(StreamReader reader) => _pump = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_gate)
                {
                    _text.AppendLine(line);
                    foreach (var w in _waiting.Where(w => line.Contains(w.Text, StringComparison.Ordinal))) w.Seen.TrySetResult();
                }
            }
            lock (_gate)
            {
                foreach (var w in _waiting) w.Seen.TrySetException(new AssertionException($"stderr ended without '{w.Text}':\n{_text}"));
            }
        });

        public Task WaitForAsync(string text)
        {
            lock (_gate)
            {
                var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_text.ToString().Contains(text, StringComparison.Ordinal)) seen.TrySetResult();
                else if (_pump.IsCompleted) seen.TrySetException(new AssertionException($"stderr ended without '{text}':\n{_text}"));
                else _waiting.Add((text, seen));
                return seen.Task.WaitAsync(TimeSpan.FromMinutes(2));
            }
        }

        public async Task<string> AllAsync()
        {
            await _pump;
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    private async Task<Started> StartUntilAsync(string taskId, params string[] args)
    {
        var process = _cli.Start(args);
        process.StandardInput.Close();
        var stderr = new StderrLines(process.StandardError);
        string? runId = null;
        var seen = new List<string>();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new AssertionException($"task '{taskId}' did not start; stdout so far:\n{string.Join('\n', seen)}");
            }
            if (line is null) throw new AssertionException($"gleitzeit ended before task '{taskId}' started:\n{string.Join('\n', seen)}\n{await stderr.AllAsync()}");
            seen.Add(line);
            if (RunIdInStarted().Match(line) is { Success: true } m) runId = m.Groups[1].Value;
            if (line.Contains($"task {taskId} started", StringComparison.Ordinal)) break;
        }
        Assert.That(runId, Is.Not.Null, "the run id is printed when the run starts: " + string.Join('\n', seen));
        return new Started(process, runId!, process.StandardOutput.ReadToEndAsync(), stderr);
    }

    [GeneratedRegex(@"\((wf-[0-9a-f]+)\) started")]
    private static partial Regex RunIdInStarted();

    [TestCase("INT", 130)]
    [TestCase("TERM", 143)]
    public async Task A_signal_interrupts_the_run_with_the_signals_exit_code_and_workflow_resume_completes_it(string signal, int exitCode)
    {
        var file = StoppableWorkflow();
        using var run = await StartUntilAsync("slow", "run", file);

        run.Signal(signal);
        var stopped = await run.ExitAsync();

        Assert.That(stopped.ExitCode, Is.EqualTo(exitCode), stopped.ToString());
        Assert.That(stopped.StdErr, Does.Contain($"Run {run.RunId} was interrupted").And.Contain($"gleitzeit workflow resume {run.RunId}"), stopped.ToString());
        var status = (await _cli.RunAsync("workflow", "status", run.RunId, "--json")).Json();
        Assert.That((string?)status["status"], Is.EqualTo("interrupted"), "stopping is not cancelling");
        Assert.That((string?)status["tasks"]!["fast"]!["status"], Is.EqualTo("completed"));
        Assert.That((string?)status["tasks"]!["slow"]!["status"], Is.EqualTo("pending"));

        var resumed = await _cli.RunAsync("workflow", "resume", run.RunId, "--json");

        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        var json = resumed.Json();
        Assert.That((string?)json["status"], Is.EqualTo("completed"));
        Assert.That(json["tasks"]!.AsObject().Select(t => (string)t.Value!["status"]!), Is.All.EqualTo("completed"));
    }

    [Test]
    public async Task A_second_ctrl_c_cancels_the_run_for_good()
    {
        var file = StoppableWorkflow();
        using var run = await StartUntilAsync("slow", "run", file);

        run.Signal("INT");
        // Signals of one kind sent back to back may arrive as one: send the second once the first was noticed.
        await run.Stderr.WaitForAsync("press Ctrl+C again to cancel it for good");
        run.Signal("INT");
        var stopped = await run.ExitAsync();

        Assert.That(stopped.ExitCode, Is.EqualTo(130), stopped.ToString());
        var status = (await _cli.RunAsync("workflow", "status", run.RunId, "--json")).Json();
        Assert.That((string?)status["status"], Is.EqualTo("cancelled"));
        var resumed = await _cli.RunAsync("workflow", "resume", run.RunId);
        Assert.That(resumed.StdErr, Does.Contain("was cancelled").And.Not.Contain("workflow resume"), "a cancelled run is not offered for resuming");
    }

    [Test]
    public async Task Resuming_a_run_another_live_process_executes_is_refused_naming_that_process()
    {
        var file = StoppableWorkflow();
        using var run = await StartUntilAsync("slow", "run", file);

        var refused = await _cli.RunAsync("workflow", "resume", run.RunId);

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.StdErr, Does.Contain("WORKFLOW_LEASED").And.Contain($"pid {run.Process.Id}").And.Contain(Environment.MachineName), refused.ToString());
        var status = (await _cli.RunAsync("workflow", "status", run.RunId, "--json")).Json();
        Assert.That((string?)status["status"], Is.EqualTo("running"), "the refused resume changed nothing");

        run.Signal("TERM");
        Assert.That((await run.ExitAsync()).ExitCode, Is.EqualTo(143));
        var resumed = await _cli.RunAsync("workflow", "resume", run.RunId, "--json");
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
    }

    [Test]
    public async Task A_run_left_by_a_killed_process_is_resumed_at_once()
    {
        var file = StoppableWorkflow();
        using var run = await StartUntilAsync("slow", "run", file);

        run.Process.Kill(entireProcessTree: true);
        await run.Process.WaitForExitAsync();
        var resumed = await _cli.RunAsync("workflow", "resume", run.RunId, "--json");

        Assert.That(resumed.ExitCode, Is.EqualTo(0), "the lease of an ended process on this machine is taken over without waiting for it to expire: " + resumed);
        Assert.That((string?)resumed.Json()["status"], Is.EqualTo("completed"));
    }
}
