using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>Values from other tasks reach Python code as data, whatever they contain, and the host's environment stays out of reach.</summary>
public class SecurityTests
{
    private string _sandbox = null!;
    private PythonProvider _python = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _sandbox = Directory.CreateTempSubdirectory("gleitzeit-py-sandbox-").FullName;
        _python = new PythonProvider(new PythonOptions { WorkingDirectory = _sandbox });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _python.DisposeAsync();
        Directory.Delete(_sandbox, recursive: true);
    }

    public static IEnumerable<TestCaseData> HostileValues()
    {
        yield return new TestCaseData("He said \"hi\" and 'bye'").SetName("quotes");
        yield return new TestCaseData("\"\"\"triple\"\"\" and '''single triple''' \"").SetName("triple quotes");
        yield return new TestCaseData("back\\slash \\\\ \\n not a newline, \\\" and a trailing \\").SetName("backslashes");
        yield return new TestCaseData("line1\nline2\r\nline3\rtab\there\f\v\u0085\u2028end").SetName("newlines");
        yield return new TestCaseData("\"; import os; os.system(\"touch pwned\") #").SetName("code injection double quote");
        yield return new TestCaseData("'; import os; os.system('touch pwned') #").SetName("code injection single quote");
        yield return new TestCaseData("\\\"; import os; os.system(\"touch pwned\") #").SetName("code injection escaped quote");
        yield return new TestCaseData("\"\"\"; import os; os.system(\"touch pwned\") #\n'''; os.system('touch pwned') #").SetName("code injection triple quotes");
        yield return new TestCaseData("{__import__('os').system('touch pwned')}").SetName("f-string braces");
        yield return new TestCaseData("__import__('os').system('touch pwned')").SetName("bare expression");
        yield return new TestCaseData("${up.response} $${x}").SetName("reference syntax");
        yield return new TestCaseData("Grüße, 你好, 😀, \u0000 nul and ünïcödé").SetName("non-ASCII");
        yield return new TestCaseData(new string('a', 1_000_000) + "\"; import os; os.system(\"touch pwned\") #").SetName("1 MB string");
    }

    private static readonly (string Name, string Code, Func<string, string> Expected)[] Forms =
    [
        ("double", "value = \"${up.response}\"", v => v),
        ("single", "value = '${up.response}'", v => v),
        ("bare", "value = ${up.response}", v => v),
        ("triple", "value = \"\"\"${up.response}\"\"\"", v => v),
        ("triple_single", "value = '''${up.response}'''", v => v),
        ("fstring", "value = f\"${up.response}\"", v => v),
        ("raw", "value = r'${up.response}'", v => v),
        ("inside", "value = \"<<${up.response}>>\"", v => $"<<{v}>>"),
        ("inside_single", "value = '<<${up.response}>>'", v => $"<<{v}>>"),
        ("inside_triple", "value = '''<<${up.response}>>'''", v => $"<<{v}>>"),
        ("inside_fstring", "n = 1\nvalue = f\"{n}:${up.response}{{}}\"", v => $"1:{v}{{}}"),
        ("inside_raw", "value = r\"<<${up.response}>>\"", v => $"<<{v}>>"),
        ("inside_bytes", "value = b'<<${up.response}>>'.decode('utf-8', 'surrogatepass')", v => $"<<{v}>>"),
        ("field", "value = f\"{${up.response}}\"", v => v),
        ("comment", "# upstream said: ${up.response}\nvalue = 'comment ok'", _ => "comment ok"),
        ("call", "value = str(${up.response})", v => v),
    ];

    [TestCaseSource(nameof(HostileValues))]
    public async Task A_hostile_upstream_value_arrives_intact_as_data_in_every_position(string hostile)
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = hostile }), "up/get"));
        registry.Register(_python);
        await using var engine = new ExecutionEngine(registry);
        var builder = new WorkflowBuilder("hostile").AddTask("up", "up/get");
        foreach (var (name, code, _) in Forms) builder.Python(name, code: code + "\nresult = value", dependsOn: ["up"]);
        builder.Python("context", code: "result = value", context: new { value = "${up.response}" }, dependsOn: ["up"]);

        var run = await engine.RunAsync(builder.Build());

        var expected = Utf16ToPython(hostile);
        Assert.Multiple(() =>
        {
            foreach (var (name, _, expect) in Forms)
            {
                Assert.That(run.Tasks[name].Error, Is.Null, name);
                Assert.That((string?)run.GetResult(name)?["result"], Is.EqualTo(expect(expected)), name);
            }
            Assert.That((string?)run.GetResult("context")?["result"], Is.EqualTo(expected), "context");
        });
        Assert.That(Directory.GetFileSystemEntries(_sandbox), Is.Empty, "nothing ran: no 'pwned' file");
    }

    // A lone surrogate has no UTF-8 form: it crosses the JSON boundary as U+FFFD.
    private static string Utf16ToPython(string s) => System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>Python 3.11 (issue 15, item 13): a string inside an f-string's replacement field holding a reference.</summary>
    [TestCaseSource(nameof(HostileValues))]
    public async Task A_reference_in_a_string_inside_an_fstring_field_arrives_intact(string hostile)
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = hostile }), "up/get"));
        registry.Register(_python);
        await using var engine = new ExecutionEngine(registry);
        var workflow = new WorkflowBuilder("fstring").AddTask("up", "up/get")
            .Python("py", code: "result = f\"{'a' + '${up.response} b'}\"", dependsOn: ["up"])
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Tasks["py"].Error, Is.Null);
        Assert.That((string?)run.GetResult("py")?["result"], Is.EqualTo("a" + Utf16ToPython(hostile) + " b"));
        Assert.That(Directory.GetFileSystemEntries(_sandbox), Is.Empty, "nothing ran: no 'pwned' file");
    }

    [Test]
    public async Task Typed_values_keep_their_type_in_code()
    {
        var registry = new ProviderRegistry();
        var upstream = new JsonObject { ["items"] = new JsonArray(1, -2, 3.5, "x\"y", null, true), ["n"] = -3, ["obj"] = new JsonObject { ["a b"] = new JsonArray() } };
        registry.Register(new DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(upstream.DeepClone()), "up/get"));
        registry.Register(_python);
        await using var engine = new ExecutionEngine(registry);
        var workflow = new WorkflowBuilder("typed").AddTask("up", "up/get")
            .Python("py", code: "items = ${up.items}\nn = ${up.n} ** 2\nobj = \"${up.obj}\"\nresult = {'items': items, 'n': n, 'obj': obj, 'types': [type(i).__name__ for i in items]}", dependsOn: ["up"])
            .Build();

        var run = await engine.RunAsync(workflow);

        var result = run.GetResult("py")!["result"]!;
        Assert.That(result["items"]!.ToJsonString(), Is.EqualTo(upstream["items"]!.ToJsonString()));
        Assert.That((int)result["n"]!, Is.EqualTo(9), "a negative number is one value: (-3) ** 2");
        Assert.That(result["obj"]!.ToJsonString(), Is.EqualTo("{\"a b\":[]}"));
        Assert.That(result["types"]!.ToJsonString(), Is.EqualTo("[\"int\",\"int\",\"float\",\"str\",\"NoneType\",\"bool\"]"));
    }

    [Test]
    public async Task Rendering_keeps_line_numbers_so_tracebacks_point_at_the_code_as_written()
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = "a\nb\nc\n" }), "up/get"));
        registry.Register(_python);
        await using var engine = new ExecutionEngine(registry);
        var workflow = new WorkflowBuilder("lines").AddTask("up", "up/get")
            .Python("py", code: "text = \"${up.response}\"\nother = '''${up.response}'''\nraise RuntimeError(text)", dependsOn: ["up"])
            .Build();

        var run = await engine.RunAsync(workflow);

        var error = run.Tasks["py"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That((int)error.Data!["line"]!, Is.EqualTo(3));
    }

    [Test]
    public async Task An_environment_variable_of_the_host_is_not_visible()
    {
        Environment.SetEnvironmentVariable("GLEITZEIT_TEST_SECRET", "s3cret");
        try
        {
            await using var provider = new PythonProvider(new PythonOptions { Environment = { ["EXTRA_SETTING"] = "on" } });

            var answer = await provider.RunAsync("import os\nresult = dict(os.environ)");

            var env = answer["result"]!.AsObject();
            Assert.That(env.ContainsKey("GLEITZEIT_TEST_SECRET"), Is.False);
            Assert.That((string?)env["EXTRA_SETTING"], Is.EqualTo("on"));
            Assert.That(env.Select(p => p.Key), Is.SubsetOf(new[] { "PATH", "HOME", "LANG", "TMPDIR", "EXTRA_SETTING", "LC_CTYPE" }));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GLEITZEIT_TEST_SECRET", null);
        }
    }

    [Test]
    public async Task Code_cannot_read_requests_from_the_protocol_channel()
    {
        var answer = await _python.RunAsync("import sys\nresult = sys.stdin.read()");

        Assert.That((string?)answer["result"], Is.EqualTo(""));
    }
}
