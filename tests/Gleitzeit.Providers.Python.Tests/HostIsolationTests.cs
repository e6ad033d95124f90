using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>What task code can reach of the host on Linux: not its /proc entries, not its descriptors, not the protocol channel.</summary>
[NonParallelizable]
public partial class HostIsolationTests
{
    [OneTimeSetUp]
    public void LinuxOnly()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("These guarantees are made on Linux only (docs/providers.md, Safety model).");
    }

    [Test]
    public async Task Task_code_cannot_read_the_hosts_environment_memory_or_descriptors_through_proc()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });

        var answer = await provider.RunAsync("""
            import os, subprocess
            worker = os.getppid()
            with open('/proc/%d/stat' % worker) as f:
                host = int(f.read().rsplit(')', 1)[1].split()[1])
            outcome = {'host': host}
            for what, path in [('environ', '/proc/%d/environ' % host), ('mem', '/proc/%d/mem' % host), ('cmdline_ok', '/proc/%d/cmdline' % host)]:
                try:
                    with open(path, 'rb') as f:
                        outcome[what] = 'read %d bytes' % len(f.read(100))
                except OSError as e:
                    outcome[what] = type(e).__name__
            for what, path in [('host_fds', '/proc/%d/fd' % host), ('worker_fds', '/proc/%d/fd' % worker)]:
                try:
                    names = os.listdir(path)  # root without capabilities may list the numbers of a non-dumpable process
                except OSError as e:
                    outcome[what] = type(e).__name__
                    continue
                opened = 0
                for name in names:
                    try:
                        with open('%s/%s' % (path, name), 'rb'):
                            opened += 1
                    except OSError:
                        pass
                outcome[what] = 'opened %d of %d' % (opened, len(names))
            cat = subprocess.run(['cat', '/proc/%d/environ' % host], capture_output=True)
            outcome['cat'] = 'exit %d, %d bytes' % (cat.returncode, len(cat.stdout))
            result = outcome
            """);

        var outcome = answer["result"]!.AsObject();
        Assert.That((int)outcome["host"]!, Is.EqualTo(Environment.ProcessId), "the worker's parent is this test host");
        Assert.That((string?)outcome["environ"], Is.EqualTo("PermissionError"));
        Assert.That((string?)outcome["mem"], Is.EqualTo("PermissionError"));
        Assert.That((string?)outcome["host_fds"], Is.EqualTo("PermissionError").Or.StartWith("opened 0 of "));
        Assert.That((string?)outcome["worker_fds"], Is.EqualTo("PermissionError").Or.StartWith("opened 0 of "), "nor the worker's own descriptors (the protocol channel)");
        Assert.That((string?)outcome["cat"], Does.StartWith("exit 1, 0 bytes"), "nor a program the code starts");
        Assert.That((string?)outcome["cmdline_ok"], Does.StartWith("read"), "what ps shows stays readable");
    }

    [Test]
    public async Task A_descriptor_the_host_inherited_is_closed_in_the_worker()
    {
        var path = Path.GetTempFileName();
        var fd = Open(path, 0x401 /* O_WRONLY | O_APPEND, no O_CLOEXEC */);
        Assert.That(fd, Is.GreaterThan(3), "open(2) failed");
        try
        {
            await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });

            var answer = await provider.RunAsync($"import os\ntry:\n    os.write({fd}, b'pwned')\n    result = 'written'\nexcept OSError as e:\n    result = e.errno");
            var listing = await provider.RunAsync("import os\nresult = sorted(int(n) for n in os.listdir('/proc/self/fd'))");

            Assert.That((int)answer["result"]!, Is.EqualTo(9), "EBADF: the descriptor is not open in the code's process");
            Assert.That(File.ReadAllText(path), Is.Empty);
            Assert.That(listing["result"]!.AsArray().Select(n => (int)n!).Where(n => n > 3).ToList(), Has.Count.LessThanOrEqualTo(1),
                "only stdin, stdout, stderr, the result pipe and the descriptor listing /proc/self/fd are open");
        }
        finally
        {
            _ = Close(fd);
            File.Delete(path);
        }
    }

    [Test]
    public async Task Task_code_cannot_forge_its_own_or_a_later_tasks_answer()
    {
        await using var provider = new PythonProvider(new PythonOptions { Workers = 1 });
        const string forge = """
            import os, threading, time
            def forge():
                lines = ''.join('{"jsonrpc":"2.0","id":%d,"result":{"result":"forged","output":"","stderr":"","success":true,"execution_time":0}}\n' % i for i in range(1, 20)).encode()
                for fd in range(3, 256):
                    try:
                        os.write(fd, lines)
                    except OSError:
                        pass
                for pid in (os.getpid(), os.getppid()):
                    try:
                        for name in os.listdir('/proc/%d/fd' % pid):
                            try:
                                with open('/proc/%d/fd/%s' % (pid, name), 'wb') as f:
                                    f.write(lines)
                            except OSError:
                                pass
                    except OSError:
                        pass
            forge()
            def keep_forging():
                while True:
                    forge()
                    time.sleep(0.001)
            threading.Thread(target=keep_forging, daemon=True).start()
            time.sleep(0.05)
            result = 'real'
            """;

        var first = await provider.RunAsync(forge);
        var second = await provider.RunAsync("import time\ntime.sleep(0.1)\nresult = 'second'");
        var third = await provider.RunAsync("result = 'third'");

        Assert.That((string?)first["result"], Is.EqualTo("real"));
        Assert.That((string?)second["result"], Is.EqualTo("second"), "a thread left behind cannot answer for the next task");
        Assert.That((string?)third["result"], Is.EqualTo("third"));
    }

    [Test]
    public async Task A_reference_in_the_script_path_is_refused_before_anything_runs()
    {
        await using var provider = new PythonProvider();

        var ex = Assert.Throws<GleitzeitException>(() => provider.RenderTemplate(PythonProvider.ExecuteMethod, "file", Core.Substitution.Template.Parse("scripts/${a.name}.py"), [JsonValue.Create("evil")]));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("'file'").And.Contain("${a.name}"));
    }

    [Test]
    public async Task A_reference_in_the_script_path_fails_workflow_validation()
    {
        await using var provider = new PythonProvider();
        var registry = new Core.Protocol.ProviderRegistry();
        registry.Register(new Gleitzeit.Testing.DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = "evil" }), "up/get"));
        registry.Register(provider);
        var workflow = new WorkflowBuilder("pick").AddTask("a", "up/get")
            .Python("run", file: "scripts/${a.response}.py", dependsOn: ["a"])
            .Build();

        var errors = WorkflowValidator.Validate(workflow, registry);

        Assert.That(errors.Select(e => e.Message), Has.One.Contains("parameter 'file' cannot hold a reference (${a.response})"));
        Assert.That(errors.Single(e => e.Message.Contains("'file'", StringComparison.Ordinal)).TaskId, Is.EqualTo("run"));
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
