using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Providers.Python.Tests;

public class InterpreterTests
{
    [Test]
    public async Task A_missing_interpreter_path_is_PROVIDER_NOT_AVAILABLE_with_the_fix()
    {
        using var provider = new PythonProvider(new PythonOptions { Interpreter = "/nonexistent/bin/python3" });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync("result = 1"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(ex.Message, Does.Contain("/nonexistent/bin/python3").And.Contain("Install python3").And.Contain("GLEITZEIT_PYTHON").And.Contain("PythonOptions.Interpreter"));
    }

    [Test]
    public async Task A_command_missing_from_PATH_is_PROVIDER_NOT_AVAILABLE()
    {
        using var provider = new PythonProvider(new PythonOptions { Interpreter = "python-that-does-not-exist" });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync("result = 1"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(ex.Message, Does.Contain("'python-that-does-not-exist' was not found on PATH"));
    }

    [Test]
    public async Task A_python_older_than_3_8_is_PROVIDER_NOT_AVAILABLE()
    {
        var pyenv = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv", "versions");
        var old = Directory.Exists(pyenv)
            ? Directory.GetDirectories(pyenv, "3.7.*").Concat(Directory.GetDirectories(pyenv, "3.6.*")).Select(d => Path.Combine(d, "bin", "python3")).FirstOrDefault(File.Exists)
            : null;
        if (old is null) Assert.Ignore("No Python 3.6 or 3.7 under ~/.pyenv/versions to try.");
        using var provider = new PythonProvider(new PythonOptions { Interpreter = old });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync("result = 1"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(ex.Message, Does.Contain("needs Python 3.8 or later"));
    }

    [Test]
    public async Task Health_of_a_missing_interpreter_is_unhealthy()
    {
        await using var provider = new PythonProvider(new PythonOptions { Interpreter = "/nonexistent/bin/python3" });

        var health = await provider.CheckHealthAsync(default);

        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Unhealthy));
        Assert.That(health.Message, Does.Contain("/nonexistent/bin/python3"));
    }

    [Test]
    public async Task Something_that_is_not_python_is_PROVIDER_NOT_AVAILABLE()
    {
        using var provider = new PythonProvider(new PythonOptions { Interpreter = "/bin/false" });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.RunAsync("result = 1"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(ex.Message, Does.Contain("does not behave like a python3 interpreter"));
    }

    [Test]
    public async Task Health_reports_the_real_interpreter_path_and_version()
    {
        await using var provider = new PythonProvider();

        var health = await provider.CheckHealthAsync(default);

        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Healthy));
        var executable = (string)health.Details!["interpreter"]!;
        Assert.That(File.Exists(executable), Is.True);
        Assert.That(executable, Does.Not.Contain("/shims/"), "a pyenv shim is resolved to the real executable");
        Assert.That((string?)health.Details["version"], Does.Match(@"^3\.\d+\.\d+"));
        Assert.That(health.Message, Does.Contain(executable));
        var answer = await provider.RunAsync("import sys\nresult = sys.executable");
        Assert.That((string?)answer["result"], Is.EqualTo(executable), "workers run that executable");
    }

    [Test]
    public async Task GLEITZEIT_PYTHON_chooses_the_interpreter_when_options_do_not()
    {
        var previous = Environment.GetEnvironmentVariable("GLEITZEIT_PYTHON");
        Environment.SetEnvironmentVariable("GLEITZEIT_PYTHON", "/nonexistent/from-env/python3");
        try
        {
            await using var provider = new PythonProvider();

            var health = await provider.CheckHealthAsync(default);

            Assert.That(health.Message, Does.Contain("/nonexistent/from-env/python3"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GLEITZEIT_PYTHON", previous);
        }
    }

    [Test]
    public void Invalid_options_are_refused_with_what_to_change()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PythonProvider(new PythonOptions { Workers = 0, DefaultTimeout = TimeSpan.Zero }));

        Assert.That(ex!.Message, Does.Contain("PythonOptions.Workers must be at least 1").And.Contain("PythonOptions.DefaultTimeout must be positive"));
    }

    [Test]
    public void The_protocol_describes_python_execute()
    {
        using var provider = new PythonProvider();

        var method = provider.Protocol.FindMethod("python/execute");

        Assert.That(provider.Protocol.Id, Is.EqualTo("python/v1"));
        Assert.That(method, Is.Not.Null);
        Assert.That(method!.Validate(new JsonObject()), Has.Some.Contains("'code', 'file'"));
    }
}
