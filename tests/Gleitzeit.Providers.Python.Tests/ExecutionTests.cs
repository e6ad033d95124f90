using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Providers.Python.Tests;

public class ExecutionTests
{
    private PythonProvider _provider = null!;

    [OneTimeSetUp]
    public void Start() => _provider = new PythonProvider(new PythonOptions { MaxOutputBytes = 4096 });

    [OneTimeTearDown]
    public async Task Stop() => await _provider.DisposeAsync();

    [TestCase("result = None", "null")]
    [TestCase("result = True", "true")]
    [TestCase("result = False", "false")]
    [TestCase("result = 42", "42")]
    [TestCase("result = -7", "-7")]
    [TestCase("result = 2.5", "2.5")]
    [TestCase("result = 10**30", "1000000000000000000000000000000")]
    [TestCase("result = 'héllo ✓ 😀'", "\"héllo ✓ 😀\"")]
    [TestCase("result = [1, 'a', None, [True]]", "[1,\"a\",null,[true]]")]
    [TestCase("result = (1, 2)", "[1,2]")]
    [TestCase("result = {'a': {'b': [1.5]}, 'n': None}", "{\"a\":{\"b\":[1.5]},\"n\":null}")]
    [TestCase("x = 1", "null")]
    public async Task Result_keeps_its_json_type(string code, string expectedJson)
    {
        var answer = await _provider.RunAsync(code);

        Assert.That(JsonNode.DeepEquals(answer["result"], JsonNode.Parse(expectedJson)), Is.True, $"got {answer["result"]?.ToJsonString() ?? "null"}");
        Assert.That((bool)answer["success"]!, Is.True);
        Assert.That((double)answer["execution_time"]!, Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public async Task A_value_json_cannot_hold_becomes_its_repr_with_a_note()
    {
        var answer = await _provider.RunAsync("result = {1, 2, 3}");

        Assert.That((string?)answer["result"], Is.EqualTo("{1, 2, 3}"));
        Assert.That((string?)answer["result_note"], Does.Contain("set").And.Contain("repr"));
    }

    [Test]
    public async Task Nan_is_not_json_and_becomes_its_repr()
    {
        var answer = await _provider.RunAsync("result = float('nan')");

        Assert.That((string?)answer["result"], Is.EqualTo("nan"));
        Assert.That(answer["result_note"], Is.Not.Null);
    }

    [Test]
    public async Task Context_entries_are_variables_and_the_whole_object_is_context()
    {
        var context = new JsonObject { ["numbers"] = new JsonArray(1, 2, 3), ["name"] = "x", ["nested"] = new JsonObject { ["k"] = true } };

        var answer = await _provider.RunAsync("result = {'sum': sum(numbers), 'via_context': context['name'], 'nested': nested['k'], 'keys': sorted(context)}", context);

        Assert.That(answer["result"]!.ToJsonString(), Is.EqualTo("{\"sum\":6,\"via_context\":\"x\",\"nested\":true,\"keys\":[\"name\",\"nested\",\"numbers\"]}"));
    }

    [Test]
    public async Task Each_execution_gets_fresh_globals()
    {
        await _provider.RunAsync("leftover = 1\nresult = 1");
        await _provider.RunAsync("leftover = 1\nresult = 1");

        var answer = await _provider.RunAsync("result = 'leftover' in globals()");

        Assert.That((bool)answer["result"]!, Is.False);
    }

    [Test]
    public async Task Interpreter_wide_changes_do_not_reach_the_next_execution()
    {
        await _provider.RunAsync("import builtins, json, os\nbuiltins.leak = 1\njson.leak = 2\nos.environ['LEAK'] = '3'\nimport sys\nsys.modules['leaked_module'] = json\nresult = 1");

        var answer = await _provider.RunAsync("import builtins, json, os, sys\nresult = [hasattr(builtins, 'leak'), hasattr(json, 'leak'), 'LEAK' in os.environ, 'leaked_module' in sys.modules]");

        Assert.That(answer["result"]!.ToJsonString(), Is.EqualTo("[false,false,false,false]"));
    }

    [Test]
    public async Task Stdout_goes_to_output_and_stderr_is_kept()
    {
        var answer = await _provider.RunAsync("import sys\nprint('one')\nprint('two', file=sys.stderr)\nresult = 1");

        Assert.That((string?)answer["output"], Is.EqualTo("one\n"));
        Assert.That((string?)answer["stderr"], Is.EqualTo("two\n"));
    }

    [Test]
    public async Task Stdout_lines_stream_as_progress_while_the_code_runs()
    {
        var lines = new List<TaskProgressUpdate>();

        await _provider.RunAsync("for i in range(3):\n    print('line', i)\nprint('tail', end='')", progress: u => { lock (lines) lines.Add(u); });

        Assert.That(lines.Where(l => l.Kind == TaskProgressKind.Output).Select(l => l.Text), Is.EqualTo(new[] { "line 0", "line 1", "line 2", "tail" }));
    }

    [Test]
    public async Task Output_beyond_the_limit_is_cut_with_a_marker()
    {
        var answer = await _provider.RunAsync("print('x' * 10000)");

        var output = (string)answer["output"]!;
        Assert.That(output, Does.StartWith(new string('x', 4096)));
        Assert.That(output, Does.Contain("[output truncated: 5905 more bytes beyond the limit of 4096 bytes]"));
    }

    [Test]
    public async Task Prints_cannot_corrupt_the_protocol_channel()
    {
        var answer = await _provider.RunAsync(
            "import os, sys\nprint('{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":666}')\nos.write(1, b'{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":667}\\n')\n" +
            "os.system('echo \\'{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":668}\\'')\nresult = 'real'");

        Assert.That((string?)answer["result"], Is.EqualTo("real"));
    }

    [Test]
    public async Task A_syntax_error_fails_the_task_naming_the_line()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await _provider.RunAsync("x = 1\ndef broken(:\n    pass"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(ex.Message, Does.StartWith("SyntaxError"));
        Assert.That((string?)ex.ErrorData!["type"], Is.EqualTo("SyntaxError"));
        Assert.That((int)ex.ErrorData["line"]!, Is.EqualTo(2));
        Assert.That((string?)ex.ErrorData["traceback"], Does.Contain("File \"<task>\", line 2"));
    }

    [Test]
    public async Task An_exception_fails_the_task_with_type_message_and_a_traceback_into_the_code()
    {
        var code = "def helper(d):\n    return d['missing']\n\nvalues = {}\nprint('before')\nresult = helper(values)\n";

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await _provider.RunAsync(code));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(ex.Message, Does.StartWith("KeyError: 'missing' (<task>, line 2)"));
        var traceback = (string)ex.ErrorData!["traceback"]!;
        Assert.That(traceback, Does.Contain("File \"<task>\", line 6, in <module>"));
        Assert.That(traceback, Does.Contain("File \"<task>\", line 2, in helper"));
        Assert.That(traceback, Does.Contain("return d['missing']"), "the traceback shows the source line");
        Assert.That(traceback, Does.Not.Contain("<string>"), "the worker's own frames are left out");
        Assert.That((string?)ex.ErrorData["output"], Is.EqualTo("before\n"));
        Assert.That(ex.IsRetryable, Is.False);
    }

    [Test]
    public async Task An_exception_whose_str_fails_is_still_reported()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () =>
            await _provider.RunAsync("class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\nraise Odd()"));

        Assert.That((string?)ex!.ErrorData!["type"], Is.EqualTo("Odd"));
        Assert.That((int)(await _provider.RunAsync("result = 1"))["result"]!, Is.EqualTo(1), "the worker survived");
    }

    [Test]
    public async Task Sys_exit_zero_is_success_and_nonzero_is_failure()
    {
        var ok = await _provider.RunAsync("import sys\nresult = 5\nsys.exit(0)");
        Assert.That((int)ok["result"]!, Is.EqualTo(5));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await _provider.RunAsync("import sys\nsys.exit(3)"));
        Assert.That(ex!.Message, Does.Contain("SystemExit").And.Contain("sys.exit(3)"));
    }

    [Test]
    public async Task Code_and_file_together_are_refused()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () =>
            await _provider.ExecuteAsync(Py.Invocation(new JsonObject { ["code"] = "x", ["file"] = "y.py" }), default));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("not both"));
    }

    [Test]
    public async Task Bad_timeout_is_refused()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await _provider.RunAsync("x = 1", timeout: -1));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("timeout"));
    }
}
