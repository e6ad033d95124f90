using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Substitution;
using Gleitzeit.Providers.Python.Substitution;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>
/// How references inside code reach the worker: as placeholders bound by the worker's parser, never as source text
/// (the hostile-value matrix is in <see cref="InjectionMatrixTests"/>).
/// </summary>
public class RendererTests
{
    private PythonProvider _python = null!;

    [OneTimeSetUp]
    public void Start() => _python = new PythonProvider(new PythonOptions { Workers = 1 });

    [OneTimeTearDown]
    public async Task Stop() => await _python.DisposeAsync();

    private Task<JsonNode?> RunAsync(string code, params JsonNode?[] values)
    {
        var rendered = _python.RenderTemplate(PythonProvider.ExecuteMethod, "code", Template.Parse(code), values)!;
        return _python.ExecuteAsync(Py.Invocation(new JsonObject { ["code"] = rendered }), default).AsTask();
    }

    [Test]
    public void No_value_is_ever_part_of_the_source_sent_to_the_worker()
    {
        var hostile = "\"; import os; os.system('touch pwned') #";

        var rendered = PythonCodeRenderer.Render(Template.Parse("a = ${x.v}\nb = 'pre ${x.v} post'  # ${x.v}\nc = f\"{n:#x} ${x.v}\""), [JsonValue.Create(hostile), JsonValue.Create(hostile), JsonValue.Create(hostile), JsonValue.Create(hostile)]);

        Assert.That(PythonCodeRenderer.TryOpen(rendered, out var source, out var bind), Is.True);
        Assert.That(source, Does.Not.Contain("import os"));
        Assert.That(source, Does.Match(@"^a = __gz_[0-9a-f]{16}_0__\nb = 'pre __gz_[0-9a-f]{16}_1__ post'  # __gz_[0-9a-f]{16}_2__\nc = f""\{n:#x\} __gz_[0-9a-f]{16}_3__""$"));
        Assert.That(bind!["bindings"]!.AsArray().Select(b => (string?)b!["value"]), Is.All.EqualTo(hostile));
        Assert.That(bind["bindings"]![0]!["ref"]!.GetValue<string>(), Is.EqualTo("x.v"));
    }

    [Test]
    public void Rendering_never_adds_lines()
    {
        var code = "a = ${a.v}\nb = \"${a.v}\"\nc = '''x ${a.v}'''\nd = 4";

        var rendered = PythonCodeRenderer.Render(Template.Parse(code), [JsonValue.Create("1\n2\r\n3\u2028"), JsonValue.Create("\r\n"), JsonValue.Create("\n")]);

        Assert.That(PythonCodeRenderer.TryOpen(rendered, out var source, out _), Is.True);
        Assert.That(source.Split('\n'), Has.Length.EqualTo(4));
    }

    [Test]
    public void Code_without_the_envelope_is_sent_as_it_is()
    {
        Assert.That(PythonCodeRenderer.TryOpen("result = 1", out var source, out var bind), Is.False);
        Assert.That(source, Is.EqualTo("result = 1"));
        Assert.That(bind, Is.Null);
    }

    [Test]
    public async Task A_bare_reference_and_a_quoted_one_are_the_value_with_its_json_type()
    {
        var value = new JsonArray(1, "t\"w\no", null, true, new JsonObject { ["k"] = -1.5 });

        var answer = await RunAsync("a = ${a.v}\nb = \"${a.v}\"\nc = f'${a.v}'\nresult = [a == b == c, type(a).__name__, a[4]['k'] ** 2]", value, value, value);

        Assert.That(answer!["result"]!.ToJsonString(), Is.EqualTo("[true,\"list\",2.25]"));
    }

    [Test]
    public async Task Inside_a_longer_string_the_value_is_its_text()
    {
        var answer = await RunAsync("result = ['a ${a.v} b', b'<${a.v}>'.decode('utf-8'), f\"{1:03} ${a.v}\", r'\\${a.v}']",
            JsonValue.Create(42), JsonValue.Create("é"), new JsonObject { ["k"] = "x" }, JsonValue.Create("v"));

        var expected = new JsonArray("a 42 b", "<é>", "001 {\"k\":\"x\"}", "\\v");
        Assert.That(JsonNode.DeepEquals(answer!["result"], expected), Is.True, answer!["result"]!.ToJsonString());
    }

    [TestCase("x.${a.v} = 1", "Attribute.attr")]
    [TestCase("f(${a.v}=1)", "keyword.arg")]
    [TestCase("${a.v} = 1", "assignment")]
    [TestCase("prefix${a.v} = 1", "glued")]
    [TestCase("def ${a.v}():\n    pass", "FunctionDef.name")]
    [TestCase("import ${a.v}", "alias.name")]
    public async Task A_reference_where_python_needs_a_name_is_refused(string code, string where)
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await RunAsync(code, JsonValue.Create("os")));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("${a.v}").And.Contain("line 1").And.Contain(where));
        Assert.That(ex.Message, Does.Not.Contain("__gz_"));
    }

    [Test]
    public async Task Errors_show_the_reference_as_written_not_the_placeholder()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await RunAsync("x = 1\ny = ${a.v} +\n", JsonValue.Create(1)));
        var traceback = await Assert.ThrowsAsync<GleitzeitException>(async () => await RunAsync("x = 1\nraise ValueError(str(${a.v}))", JsonValue.Create("boom")));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(ex.Message, Does.StartWith("SyntaxError").And.Contain("${a.v}").And.Not.Contain("__gz_"));
        Assert.That((int)ex.ErrorData!["line"]!, Is.EqualTo(2));
        Assert.That((string?)traceback!.ErrorData!["traceback"], Does.Contain("raise ValueError(str(${a.v}))").And.Contain("ValueError: boom"));
    }

    [Test]
    public void Only_code_and_file_of_python_execute_are_handled()
    {
        var template = Template.Parse("${a.v}");

        Assert.That(_python.RenderTemplate("python/execute", "context.x", template, [JsonValue.Create(1)]), Is.Null);
        Assert.That(_python.RenderTemplate("other/method", "code", template, [JsonValue.Create(1)]), Is.Null);
        Assert.That(_python.RenderTemplate("python/execute", "code", template, [JsonValue.Create(1)]), Does.StartWith(PythonCodeRenderer.Marker));
        Assert.Throws<GleitzeitException>(() => _python.RenderTemplate("python/execute", "file", template, [JsonValue.Create("x.py")]));
    }
}
