using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

[McpServerToolType]
internal sealed class TestTools
{
    [McpServerTool(Name = "echo"), Description("Returns the message unchanged.")]
    public static string Echo([Description("Text to return")] string message) => message;

    [McpServerTool(Name = "add"), Description("Adds two numbers; the sum as text, e.g. 123.")]
    public static string Add(double a, double b) => Format(a + b);

    [McpServerTool(Name = "multiply"), Description("Multiplies two numbers; the product as text.")]
    public static string Multiply(double a, double b) => Format(a * b);

    [McpServerTool(Name = "concat"), Description("Joins strings with a separator.")]
    public static string Concat(string[] strings, string separator = "") => string.Join(separator, strings);

    [McpServerTool(Name = "fail"), Description("Always reports a tool error (isError) with the given message.")]
    public static CallToolResult Fail(string message = "the tool failed") =>
        new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    private static int _inFlight;
    private static int _maxInFlight;

    [McpServerTool(Name = "slow"), Description("Waits the given milliseconds, then returns 'done'.")]
    public static async Task<string> SlowAsync(int milliseconds, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
        try
        {
            await Task.Delay(milliseconds, cancellationToken).ConfigureAwait(false);
            return "done";
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    [McpServerTool(Name = "max_in_flight"), Description("The most 'slow' calls that ran at the same time so far.")]
    public static string MaxInFlight() => Volatile.Read(ref _maxInFlight).ToString(CultureInfo.InvariantCulture);

    [McpServerTool(Name = "pid"), Description("The server's process id.")]
    public static string Pid() => Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    [McpServerTool(Name = "crash"), Description("Exits the server process at once (exit code 3).")]
    public static string Crash()
    {
        Environment.Exit(3);
        return "unreachable";
    }

    [McpServerTool(Name = "env"), Description("The value of an environment variable of the server process.")]
    public static string Env(string name) => Environment.GetEnvironmentVariable(name) ?? "";

    [McpServerTool(Name = "cwd"), Description("The server's working directory.")]
    public static string Cwd() => Environment.CurrentDirectory;

    [McpServerTool(Name = "weather"), Description("Structured content: a fixed weather report as JSON text and structuredContent.")]
    public static CallToolResult Weather(string city) => new()
    {
        Content = [new TextContentBlock { Text = $"{{\"city\":\"{city}\",\"temperature\":21}}" }],
        StructuredContent = System.Text.Json.JsonSerializer.SerializeToElement(new System.Text.Json.Nodes.JsonObject { ["city"] = city, ["temperature"] = 21 }),
    };

    [McpServerTool(Name = "add_tool"), Description("Registers a new tool NAME (which echoes 'NAME: message') and notifies clients that the tool list changed.")]
    public static string AddTool(McpServer server, string name)
    {
        var tool = McpServerTool.Create((string message) => $"{name}: {message}", new McpServerToolCreateOptions { Name = name, Description = "Added at run time." });
        server.ServerOptions.ToolCollection!.Add(tool);
        return "added " + name;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
