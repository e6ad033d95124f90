using System.Text.Json.Nodes;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Python.Tests;

public class WorkerLifecycleTests
{
    [Test]
    public async Task Workers_start_on_first_use()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 2 });

        var before = await provider.CheckHealthAsync(default);
        await provider.RunAsync("result = 1");
        var after = await provider.CheckHealthAsync(default);

        Assert.That((int)before.Details!["running_workers"]!, Is.EqualTo(0));
        Assert.That((int)after.Details!["running_workers"]!, Is.EqualTo(1));
    }

    [Test]
    public async Task Workers_are_reused_between_tasks()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });

        var first = await provider.WorkerPidAsync();
        var second = await provider.WorkerPidAsync();

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public async Task An_infinite_loop_is_killed_at_the_timeout_with_its_children_and_the_pool_keeps_serving()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });
        var pid = await provider.WorkerPidAsync();
        var pidFile = Path.GetTempFileName();

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync(
            $"import subprocess\np = subprocess.Popen(['sleep', '300'])\nopen({PyString(pidFile)}, 'w').write(str(p.pid))\nwhile True:\n    pass", timeout: 5));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));
        Assert.That(ex.Message, Does.Contain("timed out after 5 s"));
        var child = int.Parse(File.ReadAllText(pidFile), System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(pidFile);
        Assert.That(() => Py.ProcessExists(pid), Is.False.After(5000, 20), "the worker was killed");
        Assert.That(() => Py.ProcessExists(child), Is.False.After(5000, 20), "its child process was killed too");
        var after = await provider.RunAsync("result = 'still serving'");
        Assert.That((string?)after["result"], Is.EqualTo("still serving"));
        Assert.That(await provider.WorkerPidAsync(), Is.Not.EqualTo(pid));
    }

    [Test]
    public async Task Processes_that_left_the_process_group_with_setsid_are_killed_at_the_timeout_too()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });
        var dir = Directory.CreateTempSubdirectory("gleitzeit-py-setsid-").FullName;
        var code = $"""
            import subprocess, time, os
            d = {PyString(dir)}
            direct = subprocess.Popen(['setsid', 'sleep', '300'])
            open(os.path.join(d, 'direct'), 'w').write(str(direct.pid))
            # a daemon: setsid in a shell that exits at once, so the sleeper is an orphan in its own session
            subprocess.run(['sh', '-c', 'setsid sleep 301 & echo $! > "$0/daemon"', d], check=True)
            while True:
                time.sleep(0.01)
            """;

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync(code, timeout: 5));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));
        var direct = int.Parse(File.ReadAllText(Path.Combine(dir, "direct")), System.Globalization.CultureInfo.InvariantCulture);
        var daemon = int.Parse(File.ReadAllText(Path.Combine(dir, "daemon")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Directory.Delete(dir, true);
        Assert.That(() => Py.ProcessExists(direct), Is.False.After(5000, 20), "a child in its own session was killed");
        Assert.That(() => Py.ProcessExists(daemon), Is.False.After(5000, 20), "a daemonized grandchild in its own session was killed");
    }

    [Test]
    public async Task Cancellation_kills_the_running_code()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });
        var pid = await provider.WorkerPidAsync();
        using var cts = new CancellationTokenSource();

        var running = provider.RunAsync("import time\nwhile True:\n    time.sleep(0.01)", cancellationToken: cts.Token);
        await cts.CancelAsync();

        await Assert.ThatAsync(async () => await running, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => Py.ProcessExists(pid), Is.False.After(5000, 20));
        Assert.That((int)(await provider.RunAsync("result = 1"))["result"]!, Is.EqualTo(1));
    }

    [Test]
    public async Task A_memory_bomb_is_stopped_by_the_memory_limit()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1, MemoryLimitBytes = 256L << 20 });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync("chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))", timeout: 60));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That((string?)ex.ErrorData!["type"], Is.EqualTo("MemoryError"));
        Assert.That(ex.Message, Does.Contain("memory limit is 256 MiB"));
        Assert.That((int)(await provider.RunAsync("result = len(bytearray(1024))"))["result"]!, Is.EqualTo(1024), "a fresh worker serves the next task");
    }

    [TestCase("import os\nos._exit(3)", "exit code 3")]
    [TestCase("import ctypes\nctypes.string_at(0)", "SIGSEGV")]
    public async Task A_crashed_worker_fails_its_task_and_is_replaced(string code, string expected)
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });
        var pid = await provider.WorkerPidAsync();

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync(code));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(ex.Message, Does.Contain("worker died").And.Contain(expected));
        var next = await provider.WorkerPidAsync();
        Assert.That(next, Is.Not.EqualTo(pid));
    }

    [Test]
    public async Task A_worker_is_replaced_after_the_configured_number_of_executions()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1, MaxExecutionsPerWorker = 2 });

        var pids = new List<int>();
        for (var i = 0; i < 4; i++) pids.Add(await provider.WorkerPidAsync());

        Assert.That(pids[1], Is.EqualTo(pids[0]));
        Assert.That(pids[2], Is.Not.EqualTo(pids[0]));
        Assert.That(pids[3], Is.EqualTo(pids[2]));
    }

    [Test]
    public async Task Process_isolation_runs_every_task_in_a_fresh_process()
    {
        await using var provider = new PythonProvider(new PythonOptions { Isolation = PythonIsolation.Process });

        var first = await provider.WorkerPidAsync();
        var second = await provider.WorkerPidAsync();

        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(() => Py.ProcessExists(first), Is.False.After(5000, 20));
    }

    [Test]
    public async Task Workers_run_tasks_in_parallel_up_to_the_pool_size()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 2 });
        // Each task waits until the other has started: only possible when both run at once.
        var dir = Directory.CreateTempSubdirectory("gleitzeit-py-par-").FullName;
        var code = $"import os, time\nopen(os.path.join({PyString(dir)}, me), 'w').close()\nwhile not os.path.exists(os.path.join({PyString(dir)}, other)):\n    time.sleep(0.01)\nresult = os.getppid()";

        var a = provider.RunAsync(code, new JsonObject { ["me"] = "a", ["other"] = "b" }, timeout: 60);
        var b = provider.RunAsync(code, new JsonObject { ["me"] = "b", ["other"] = "a" }, timeout: 60);
        var results = await Task.WhenAll(a, b);
        Directory.Delete(dir, true);

        Assert.That((int)results[0]["result"]!, Is.Not.EqualTo((int)results[1]["result"]!));
    }

    [Test]
    public async Task Dispose_leaves_no_process_behind()
    {
        var provider = new PythonProvider(new PythonOptions { Workers = 2 });
        var pidFile = Path.GetTempFileName();
        var worker = (int)(await provider.RunAsync($"import os, subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=False)\nopen({PyString(pidFile)}, 'w').write(str(p.pid))\nresult = os.getpid()"))["result"]!;
        var child = int.Parse(File.ReadAllText(pidFile), System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(pidFile);
        Assert.That(Py.ProcessExists(child), Is.True);

        await provider.DisposeAsync();

        Assert.That(() => Py.ProcessExists(worker), Is.False.After(5000, 50));
        Assert.That(() => Py.ProcessExists(child), Is.False.After(5000, 50));
        await Assert.ThatAsync(async () => await provider.RunAsync("result = 1"), Throws.InstanceOf<ObjectDisposedException>());
    }

    internal static string PyString(string s) => JsonValue.Create(s)!.ToJsonString(); // a JSON string is a Python string literal
}
