using System.Text.Json.Nodes;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Python.Tests;

public class FileTests
{
    private string _root = null!;

    [SetUp]
    public void CreateDirectories()
    {
        _root = Directory.CreateTempSubdirectory("gleitzeit-py-files-").FullName;
        Directory.CreateDirectory(Path.Combine(_root, "workflow", "scripts"));
        Directory.CreateDirectory(Path.Combine(_root, "shared"));
    }

    [TearDown]
    public void RemoveDirectories() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task A_file_resolves_against_the_workflow_directory_first()
    {
        File.WriteAllText(Path.Combine(_root, "workflow", "scripts", "a.py"), "import helper\nresult = {'file': __file__, 'value': helper.VALUE * n}\n");
        File.WriteAllText(Path.Combine(_root, "workflow", "scripts", "helper.py"), "VALUE = 21\n");
        await using var provider = new PythonProvider();

        var answer = await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["file"] = "scripts/a.py", ["context"] = new JsonObject { ["n"] = 2 } },
            baseDirectory: Path.Combine(_root, "workflow")), default);

        Assert.That((int)answer!["result"]!["value"]!, Is.EqualTo(42), "sibling modules import");
        Assert.That((string?)answer["result"]!["file"], Is.EqualTo(Path.Combine(_root, "workflow", "scripts", "a.py")));
    }

    [Test]
    public async Task A_file_falls_back_to_the_scripts_directory()
    {
        File.WriteAllText(Path.Combine(_root, "shared", "b.py"), "result = 'from shared'\n");
        await using var provider = new PythonProvider(new PythonOptions { ScriptsDirectory = Path.Combine(_root, "shared") });

        var answer = await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["file"] = "b.py" }, baseDirectory: Path.Combine(_root, "workflow")), default);

        Assert.That((string?)answer!["result"], Is.EqualTo("from shared"));
    }

    [Test]
    public async Task A_missing_file_names_every_place_looked()
    {
        using var provider = new PythonProvider(new PythonOptions { ScriptsDirectory = Path.Combine(_root, "shared") });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () =>
            await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["file"] = "nope.py" }, baseDirectory: Path.Combine(_root, "workflow")), default));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain(Path.Combine(_root, "workflow", "nope.py")).And.Contain(Path.Combine(_root, "shared", "nope.py")));
    }

    [Test]
    public async Task A_missing_file_is_named_once_when_the_scripts_directory_is_the_workflow_directory()
    {
        var workflow = Path.Combine(_root, "workflow");
        using var provider = new PythonProvider(new PythonOptions { ScriptsDirectory = workflow });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () =>
            await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["file"] = "scripts/nope.py" }, baseDirectory: workflow), default));

        var path = Path.Combine(workflow, "scripts", "nope.py");
        Assert.That(ex!.Message, Does.StartWith($"Python script 'scripts/nope.py' not found at '{path}'. "));
        Assert.That(ex.Message.Split(path).Length - 1, Is.EqualTo(1), ex.Message);
        Assert.That(ex.Message, Does.EndWith("then the scripts directory (PythonOptions.ScriptsDirectory)."));
        Assert.That(ex.ErrorData!["looked_at"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task An_exception_in_a_file_points_at_the_script_line()
    {
        var script = Path.Combine(_root, "workflow", "boom.py");
        File.WriteAllText(script, "x = 1\n\nraise ValueError('bad input')\n");
        using var provider = new PythonProvider();

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["file"] = script }), default));

        Assert.That(ex!.Message, Does.StartWith($"ValueError: bad input ({script}, line 3)"));
        Assert.That((string?)ex.ErrorData!["traceback"], Does.Contain($"File \"{script}\", line 3"));
    }

    [Test]
    public async Task Without_a_configured_working_directory_code_runs_in_the_workflow_directory()
    {
        var dir = Path.Combine(_root, "workflow");
        File.WriteAllText(Path.Combine(dir, "data.txt"), "relative works");
        await using var provider = new PythonProvider();

        var answer = await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["code"] = "import os\nresult = [os.getcwd(), open('data.txt').read()]" }, baseDirectory: dir), default);

        Assert.That(answer!["result"]!.ToJsonString(), Is.EqualTo(new JsonArray(dir, "relative works").ToJsonString()));
    }

    [Test]
    public async Task The_working_directory_comes_from_options()
    {
        var dir = Path.Combine(_root, "shared");
        await using var provider = new PythonProvider(new PythonOptions { WorkingDirectory = dir });

        _ = await provider.RunAsync("import os\nos.chdir('/')\nresult = 1");
        var cwd = await provider.RunAsync("import os\nresult = os.getcwd()");

        Assert.That((string?)cwd["result"], Is.EqualTo(dir), "and a chdir by earlier code does not leak");
    }
}
