using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>
/// Every hostile value × every place a reference can stand in code × every python3 minor version on the machine: the
/// value arrives intact, and nothing in it runs (a canary file 'pwned' and the printed word 'pwned' never appear).
/// </summary>
[NonParallelizable]
public class InjectionMatrixTests
{
    /// <summary>Hostile upstream values: each tries to leave the place it is put in.</summary>
    private static readonly (string Name, string Value)[] Values =
    [
        ("quotes", "He said \"hi\" and 'bye'"),
        ("double_quote_injection", "\"; open('pwned', 'w').write('1'); print('pwned') #"),
        ("single_quote_injection", "'; open('pwned', 'w').write('1'); print('pwned') #"),
        ("triple_double", "\"\"\"; open('pwned', 'w').write('1') #\n\"\"\""),
        ("triple_single", "'''; open('pwned', 'w').write('1') #\n'''"),
        ("backslashes", "back\\slash \\\\ \\n \\\" \\' \\N{BULLET} \\x41 \\u0041 trailing \\"),
        ("trailing_backslash", "x\\"),
        ("backslash_cr_lf", "a\\\r\n\"; print('pwned') #"),
        ("backslash_cr_lf_triple", "a\\\r\n'''\r\n__import__('os').system('touch pwned')\r\n'''\\\r\n\"\"\""),
        ("line_breaks", "l1\nl2\r\nl3\rl4\u2028l5\u2029l6\u0085l7\f\v\tend"),
        ("nul", "a\0b\0"),
        ("braces", "{x} {{y}} }{ {0} { }"),
        ("format_spec_hash", "{n:#x}"),
        ("format_spec_quote", "{x:'>8}"),
        ("fstring_import", "{__import__('os').system('touch pwned')}"),
        ("fstring_print", "{print('pwned')}"),
        ("fstring_nested", "{f\"{print('pwned')}\"}"),
        ("conversion", "!r} {x!r} :>{w}} ="),
        ("reference_syntax", "${up0.v} $${x}"),
        ("bare_code", "__import__('os').system('touch pwned')"),
        ("statements", "1\nimport os; os.system('touch pwned')\n"),
        ("comment_escape", "# \n print('pwned')"),
        ("unicode", "Grüße 你好 😀 ünïcödé \uFEFF \u202Eevil\u202C"),
        ("empty", ""),
        ("placeholder_like", "__gleitzeit_ref_00000000_0__ __gz__"),
        ("long", new string('a', 100_000) + "\"; print('pwned') #"),
    ];

    /// <summary>Places a reference can stand; {REF} is the reference. Each leaves the value (or "ok") in 'value'.</summary>
    private static readonly (string Name, string Code, bool ValueExpected, int MinMinor)[] Positions =
    [
        ("bare", "value = {REF}", true, 8),
        ("parenthesized", "value = ({REF})", true, 8),
        ("call_argument", "value = str({REF})", true, 8),
        ("list_item", "value = [{REF}][0]", true, 8),
        ("dict_value", "value = {'k': {REF}}['k']", true, 8),
        ("dict_key_bare", "value = list({{REF}: 1})[0]", true, 8),
        ("dict_key_quoted", "value = list({\"{REF}\": 1})[0]", true, 8),
        ("line_continuation", "value = \\\n    {REF}", true, 8),
        ("lambda", "value = (lambda: {REF})()", true, 8),
        ("default_argument", "def f(a={REF}):\n    return a\nvalue = f()", true, 8),
        ("class_body", "class C:\n    __attr = {REF}\n    attr = __attr\nvalue = C.attr", true, 8),
        ("comprehension", "value = [c for c in [{REF}]][0]", true, 8),
        ("double_quoted", "value = \"{REF}\"", true, 8),
        ("single_quoted", "value = '{REF}'", true, 8),
        ("triple_double", "value = \"\"\"{REF}\"\"\"", true, 8),
        ("triple_single", "value = '''{REF}'''", true, 8),
        ("raw", "value = r\"{REF}\"", true, 8),
        ("raw_upper", "value = R'{REF}'", true, 8),
        ("unicode_prefix", "value = u'{REF}'", true, 8),
        ("bytes", "value = b'{REF}'.decode('utf-8')", true, 8),
        ("raw_bytes", "value = rb\"{REF}\".decode('utf-8')", true, 8),
        ("inside_double", "value = \"<<{REF}>>\"[2:-2]", true, 8),
        ("inside_single", "value = '<<{REF}>>'[2:-2]", true, 8),
        ("inside_triple", "value = '''<\n{REF}\n>'''[2:-2]", true, 8),
        ("inside_raw", "value = r'\\<{REF}>'[2:-1]", true, 8),
        ("inside_raw_triple", "value = r\"\"\"\\\"<{REF}>\"\"\"[3:-1]", true, 8),
        ("inside_bytes", "value = b'<<{REF}>>'[2:-2].decode('utf-8')", true, 8),
        ("after_escaped_backslash", "value = '\\\\{REF}'[1:]", true, 8),
        ("after_backslash", "value = '<\\{REF}'[2:]", true, 8),
        ("implicit_concatenation", "value = ('<' \"{REF}\" '''>''')[1:-1]", true, 8),
        ("docstring", "def f():\n    \"\"\"{REF}\"\"\"\nvalue = f.__doc__", true, 8),
        ("fstring_whole", "value = f\"{REF}\"", true, 8),
        ("fstring_inside", "n = 255\nvalue = f\"{n}<{REF}>\"[4:-1]", true, 8),
        ("fstring_after_hash_spec", "n = 255\nvalue = f\"{n:#x} is: {REF}\"[9:]", true, 8),
        ("fstring_after_quote_spec", "x = 'ab'\nvalue = f\"{x:'>8} {REF}\"[9:]", true, 8),
        ("fstring_after_nested_spec", "x = 1\nw = 3\nvalue = f\"{x:>{w}}|{REF}\"[4:]", true, 8),
        ("fstring_after_conversion", "x = 'q'\nvalue = f\"{x!r:>5}{REF}\"[5:]", true, 8),
        ("fstring_nested_quotes", "d = {'k': 1}\nvalue = f'{d[\"k\"]}{REF}'[1:]", true, 8),
        ("fstring_string_in_field", "value = f\"{'<' + '{REF}>'}\"[1:-1]", true, 8),
        ("fstring_field", "value = f\"{{REF}}\"", true, 8),
        ("fstring_field_call", "value = f\"{str({REF})!s:>0}\"", true, 8),
        ("fstring_doubled_braces", "value = f\"{{{REF}}}\"[1:-1]", true, 8),
        ("fstring_triple", "value = f'''<\n{REF}\n>'''[2:-2]", true, 8),
        ("rf_string", "value = rf\"<\\{REF}>\"[2:-1]", true, 8),
        ("fstring_same_quotes", "value = f\"{\"<\" + \"{REF}\"}\"[1:]", true, 12),
        ("fstring_nested_same_quotes", "value = f\"{f\"{\"{REF}\"}\"}\"", true, 12),
        ("fstring_field_comment", "value = f\"\"\"{'' # {REF}\n}\"\"\" or 'ok'", false, 12),
        ("match_case", "x = \"{REF}\"\nmatch x:\n    case \"{REF}\":\n        value = x\n    case _:\n        value = None", true, 10),
        ("comment", "# {REF}\nvalue = 'ok'", false, 8),
        ("comment_after_code", "value = 'ok'  # '{REF}\"", false, 8),
    ];

    private string _sandbox = null!;

    [SetUp]
    public void CreateSandbox() => _sandbox = Directory.CreateTempSubdirectory("gleitzeit-py-matrix-").FullName;

    [TearDown]
    public void DeleteSandbox() => Directory.Delete(_sandbox, recursive: true);

    public static IEnumerable<TestCaseData> Versions() => Interpreters.Cases();

    [TestCaseSource(nameof(Versions))]
    public async Task Hostile_values_arrive_intact_in_every_position(string? interpreter, string version)
    {
        Interpreters.IgnoreIfMissing(interpreter, version);
        var minor = int.Parse(version.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);
        await using var python = new PythonProvider(new PythonOptions { Interpreter = interpreter, WorkingDirectory = _sandbox, Workers = 2 });
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("up/v1", (invocation, _) =>
            ValueTask.FromResult<JsonNode?>(new JsonObject { ["v"] = Values[int.Parse(invocation.TaskId[2..], System.Globalization.CultureInfo.InvariantCulture)].Value }), "up/get"));
        registry.Register(python);
        await using var engine = new ExecutionEngine(registry);
        var builder = new WorkflowBuilder("matrix");
        // From 3.13 the compiler cleans every docstring (tabs expanded, common indentation removed): a docstring is not
        // a place where text stays as it is, whoever writes it.
        var positions = Positions.Where(p => p.MinMinor <= minor && !(p.Name == "docstring" && minor >= 13)).ToList();
        for (var v = 0; v < Values.Length; v++)
        {
            builder.AddTask($"up{v}", "up/get");
            foreach (var (name, code, _, _) in positions)
            {
                builder.Python($"{name}__{v}", code: code.Replace("{REF}", $"${{up{v}.v}}", StringComparison.Ordinal) + "\nresult = value", dependsOn: [$"up{v}"]);
            }
            builder.Python($"context__{v}", code: "result = value", context: new { value = $"${{up{v}.v}}" }, dependsOn: [$"up{v}"]);
        }

        var run = await engine.RunAsync(builder.Build());

        var problems = new List<string>();
        for (var v = 0; v < Values.Length; v++)
        {
            var expected = ThroughJson(Values[v].Value);
            foreach (var (name, _, valueExpected, _) in positions.Append(("context", "", true, 8)))
            {
                var id = $"{name}__{v}";
                var task = run.Tasks[id];
                var result = run.GetResult(id);
                var want = valueExpected ? expected : "ok";
                if (task.Error is { } error) problems.Add($"{name} × {Values[v].Name}: failed: {error.Message.Split('\n')[0]}");
                else if ((string?)result?["result"] != want) problems.Add($"{name} × {Values[v].Name}: got {Show((string?)result?["result"])}");
                if (((string?)result?["output"])?.Contains("pwned", StringComparison.Ordinal) == true) problems.Add($"{name} × {Values[v].Name}: printed 'pwned': code ran");
            }
        }
        Assert.That(problems, Is.Empty, $"Python {version}: {problems.Count} of {Values.Length * (positions.Count + 1)} cases");
        Assert.That(Directory.GetFileSystemEntries(_sandbox), Is.Empty, "nothing ran: no 'pwned' file");
    }

    /// <summary>A reference inside a format spec is text in the spec: a hostile one makes formatting fail, it never runs.</summary>
    [TestCaseSource(nameof(Versions))]
    public async Task A_reference_in_a_format_spec_is_spec_text(string? interpreter, string version)
    {
        Interpreters.IgnoreIfMissing(interpreter, version);
        await using var python = new PythonProvider(new PythonOptions { Interpreter = interpreter, WorkingDirectory = _sandbox, Workers = 1 });
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["w"] = ">6", ["bad"] = "{print('pwned')}" }), "up/get"));
        registry.Register(python);
        await using var engine = new ExecutionEngine(registry);
        var workflow = new WorkflowBuilder("spec").AddTask("up", "up/get")
            .Python("good", code: "x = 'ab'\nresult = f\"{x:${up.w}}\"", dependsOn: ["up"])
            .Python("bad", code: "x = 'ab'\nresult = f\"{x:${up.bad}}\"", dependsOn: ["up"])
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That((string?)run.GetResult("good")?["result"], Is.EqualTo("    ab"));
        Assert.That(run.Tasks["bad"].Error?.Message, Does.Contain("ValueError"));
        Assert.That(run.Tasks["bad"].Error?.Message, Does.Not.Contain("pwned\n"));
        Assert.That(Directory.GetFileSystemEntries(_sandbox), Is.Empty);
    }

    // A lone surrogate has no UTF-8 form: it crosses the JSON boundary as U+FFFD.
    private static string ThroughJson(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));

    private static string Show(string? s) => s is null ? "null" : s.Length > 80 ? JsonValue.Create(s[..80])!.ToJsonString() + "..." : JsonValue.Create(s)!.ToJsonString();
}
