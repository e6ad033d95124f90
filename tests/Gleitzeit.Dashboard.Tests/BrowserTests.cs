using System.Reflection;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Microsoft.Playwright;

namespace Gleitzeit.Dashboard.Tests;

/// <summary>
/// The pages in a real headless browser: Debian's chromium driven by Playwright (its own browser downloads are never used).
/// Each test fails on any error in the browser's console or any uncaught script error.
/// </summary>
[NonParallelizable]
public sealed class BrowserTests
{
    private static readonly string ChromiumPath = Environment.GetEnvironmentVariable("GLEITZEIT_CHROMIUM") ?? "/usr/bin/chromium";

    private static readonly string DocsImages = typeof(BrowserTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "DocsImages").Value!;

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private DashboardHost _host = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];

    [OneTimeSetUp]
    public async Task LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Ignore($"No chromium at {ChromiumPath}: install Debian's package (apt-get install -y chromium, as .ci/run does) or set GLEITZEIT_CHROMIUM.");
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Tests run as root in CI containers, where chromium's sandbox cannot start.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    [SetUp]
    public async Task OpenAsync()
    {
        _host = await DashboardHost.StartAsync(configure: o => o.MaxInlineResultLength = 2000);
        _context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        _page = await _context.NewPageAsync();
        _consoleErrors.Clear();
        _page.Console += (_, message) =>
        {
            if (message.Type == "error") _consoleErrors.Add(message.Text);
        };
        _page.PageError += (_, error) => _consoleErrors.Add("uncaught: " + error);
    }

    [TearDown]
    public async Task CloseContextAsync()
    {
        await _context.DisposeAsync();
        await _host.DisposeAsync();
    }

    private void AssertNoConsoleErrors() => Assert.That(_consoleErrors, Is.Empty, "errors in the browser console");

    private Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(DocsImages);
        return _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DocsImages, name), FullPage = true });
    }

    private ILocator Node(string taskId) => _page.Locator($"svg#graph g[data-task-id=\"{taskId}\"]");

    private Task WaitForStatusAsync(string taskId, string status) =>
        _page.WaitForSelectorAsync($"svg#graph g[data-task-id=\"{taskId}\"][data-status=\"{status}\"]");

    [Test]
    public async Task The_runs_list_renders_newest_first_with_states()
    {
        var failed = await _host.Engine.RunAsync(Workflows.Failing());
        _host.Gates.Open("g");
        var completed = await _host.Engine.RunAsync(Workflows.Diamond("g", name: "research-report"));

        await _page.GotoAsync(_host.Root);
        await _page.WaitForSelectorAsync("#runs tbody tr");
        var rows = _page.Locator("#runs tbody tr");

        Assert.That(await rows.CountAsync(), Is.EqualTo(2));
        Assert.That(await rows.Nth(0).GetAttributeAsync("data-run-id"), Is.EqualTo(completed.WorkflowId));
        Assert.That(await rows.Nth(0).Locator(".badge").TextContentAsync(), Is.EqualTo("completed"));
        Assert.That(await rows.Nth(1).Locator(".badge").TextContentAsync(), Is.EqualTo("failed"));
        Assert.That(await rows.Nth(0).TextContentAsync(), Does.Contain("research-report").And.Contain("15"), "the name and its tokens");
        await ScreenshotAsync("dashboard-runs.png");

        await _page.SelectOptionAsync("select[name=status]", "failed");
        await _page.ClickAsync("form.filters button[type=submit]");
        await _page.WaitForSelectorAsync($"#runs tbody tr[data-run-id=\"{failed.WorkflowId}\"]");
        Assert.That(await _page.Locator("#runs tbody tr").CountAsync(), Is.EqualTo(1));
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task A_run_page_shows_every_task_with_its_state_and_the_task_panel_its_error()
    {
        var run = await _host.Engine.RunAsync(Workflows.Failing());

        await _page.GotoAsync(_host.Root + "runs/" + run.WorkflowId);
        await WaitForStatusAsync("first", "failed");

        Assert.That(await Node("second").GetAttributeAsync("data-status"), Is.EqualTo("skipped"));
        Assert.That(await _page.Locator("#tasks tr[data-task-id=first]").GetAttributeAsync("data-status"), Is.EqualTo("failed"));
        Assert.That(await _page.Locator("#run-head .badge").First.TextContentAsync(), Is.EqualTo("failed"));

        await Node("first").ClickAsync();
        await _page.WaitForSelectorAsync("#task-panel #panel-history");
        var panel = await _page.Locator("#task-panel").TextContentAsync();
        Assert.That(panel, Does.Contain("TASK_EXECUTION_FAILED").And.Contain("the model refused").And.Contain("This task fails on purpose."));
        await ScreenshotAsync("dashboard-task-error.png");
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task The_graph_updates_while_the_run_executes()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("slow"));
        await _host.Gates.StartedAsync("slow");

        await _page.GotoAsync(_host.Root + "runs/" + id);
        await WaitForStatusAsync("left", "running");
        Assert.That(await Node("plan").GetAttributeAsync("data-status"), Is.EqualTo("completed"));
        Assert.That(await Node("merge").GetAttributeAsync("data-status"), Is.EqualTo("pending"));
        await _page.WaitForSelectorAsync("#live");
        await Node("plan").ClickAsync();
        await _page.WaitForSelectorAsync("#task-panel #panel-result");
        await ScreenshotAsync("dashboard-run-live.png");

        _host.Gates.Open("slow");
        await WaitForStatusAsync("merge", "completed");
        await _page.WaitForSelectorAsync("#run-head .badge[data-status=completed]");

        Assert.That(await Node("left").GetAttributeAsync("data-status"), Is.EqualTo("completed"));
        Assert.That(await _page.Locator("#run-usage").TextContentAsync(), Does.Contain("15"), "usage totals of the run");
        Assert.That(await _page.Locator("#live").CountAsync(), Is.Zero, "the page stops listening once the run ended");
        await _page.WaitForSelectorAsync("#task-panel #panel-result");
        await ScreenshotAsync("dashboard-run.png");
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task Tokens_of_a_running_task_stream_into_its_panel()
    {
        // The engine streams an attempt's tokens to the watchers present when it starts: the page watches before 'answer' starts.
        var workflow = new WorkflowBuilder("streaming")
            .AddTask("think", "gate/wait", new JsonObject { ["gate"] = "think" })
            .AddTask("answer", "gate/stream", new JsonObject { ["gate"] = "talk", ["tokens"] = new JsonArray("Hello", ", ", "<b>world</b>"), ["result"] = new JsonObject { ["response"] = "done" } },
                t => t.DependsOn("think"))
            .Build();
        var id = await _host.Engine.SubmitAsync(workflow);
        await _host.Gates.StartedAsync("think");

        await _page.GotoAsync(_host.Root + "runs/" + id);
        await WaitForStatusAsync("think", "running");
        _host.Gates.Open("think");
        await WaitForStatusAsync("answer", "running");
        await Node("answer").ClickAsync();
        await _page.WaitForSelectorAsync("#panel-tokens");
        _host.Gates.Open("talk");
        await _page.WaitForFunctionAsync("() => document.getElementById('panel-tokens')?.textContent === 'Hello, <b>world</b>'");

        Assert.That(await _page.Locator("#panel-tokens b").CountAsync(), Is.Zero, "streamed text stays text");
        _host.Gates.Open("talk-end");
        await WaitForStatusAsync("answer", "completed");
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task Retry_from_here_opens_the_new_run_which_completes()
    {
        _host.Gates.Open("browser-retry");
        var old = await _host.Engine.RunAsync(Workflows.Diamond("browser-retry"));

        await _page.GotoAsync(_host.Root + "runs/" + old.WorkflowId);
        await WaitForStatusAsync("merge", "completed");
        await _page.WaitForSelectorAsync("#run-head button[data-action=retry]");
        await Node("right").ClickAsync();
        await _page.WaitForSelectorAsync("#task-panel #retry-from");
        await ScreenshotAsync("dashboard-retry.png");
        await _page.ClickAsync("#task-panel #retry-from");

        await _page.WaitForSelectorAsync("#run-retry-of");
        var newId = Uri.UnescapeDataString(new Uri(_page.Url).Segments[^1]);
        Assert.That(newId, Is.Not.EqualTo(old.WorkflowId), "the page of the new run opened");
        await WaitForStatusAsync("merge", "completed");
        await _page.WaitForSelectorAsync("#run-head .badge[data-status=completed]");
        Assert.That(await _page.Locator("#run-retry-of a").TextContentAsync(), Is.EqualTo(old.WorkflowId));
        var retried = await _host.Engine.WaitAsync(newId);
        Assert.That(retried.RetryOf, Is.EqualTo(old.WorkflowId));
        Assert.That(retried.Status, Is.EqualTo(WorkflowStatus.Completed));
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task The_approve_button_continues_a_waiting_run()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Approval());

        await _page.GotoAsync(_host.Root + "runs/" + id);
        await WaitForStatusAsync("ask", "waiting");
        await Node("ask").ClickAsync();
        await _page.WaitForSelectorAsync("#answer-box button[data-action=approve]");
        Assert.That(await _page.Locator("#answer-prompt").TextContentAsync(), Is.EqualTo("Ship <b>it</b>?"), "the prompt is text");
        await _page.FillAsync("#answer-box input[name=comment]", "fine by me");
        await ScreenshotAsync("dashboard-approval.png");
        await _page.ClickAsync("#answer-box button[data-action=approve]");
        await WaitForStatusAsync("after", "completed");

        var run = await _host.Engine.WaitAsync(id);
        Assert.That((string)run.GetResult("ask")!["comment"]!, Is.EqualTo("fine by me"));
        Assert.That((bool)run.GetResult("after")!["response"]!, Is.True, "the approval reached the dependent task");
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task The_cancel_button_cancels_a_running_run()
    {
        var id = await _host.Engine.SubmitAsync(Workflows.Diamond("forever"));
        await _host.Gates.StartedAsync("forever");

        await _page.GotoAsync(_host.Root + "runs/" + id);
        await WaitForStatusAsync("left", "running");
        await _page.ClickAsync("button[data-action=cancel]");
        await WaitForStatusAsync("merge", "cancelled");

        Assert.That((await _host.Engine.WaitAsync(id)).Status, Is.EqualTo(WorkflowStatus.Cancelled));
        await _page.WaitForSelectorAsync("#run-head .badge[data-status=cancelled]");
        Assert.That(await _page.Locator("button[data-action=cancel]").CountAsync(), Is.Zero);
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task Markup_in_task_names_and_results_is_shown_as_text()
    {
        const string name = "<img src=x onerror=\"window.__pwned='name'\">";
        const string answer = "<script>window.__pwned='script'</script><img src=x onerror=\"window.__pwned='result'\"><b>bold?</b>";
        var run = await _host.Engine.RunAsync(Workflows.Single("<script>window.__pwned='workflow'</script>", new JsonObject { ["response"] = answer }, taskName: name));

        await _page.GotoAsync(_host.Root);
        await _page.WaitForSelectorAsync("#runs tbody tr");
        Assert.That(await _page.Locator("#runs tbody tr").TextContentAsync(), Does.Contain("<script>window.__pwned='workflow'</script>"));

        await _page.GotoAsync(_host.Root + "runs/" + run.WorkflowId);
        await WaitForStatusAsync("only", "completed");
        await Node("only").ClickAsync();
        await _page.WaitForSelectorAsync("#task-panel #panel-result");

        Assert.That(await _page.Locator("#panel-result").TextContentAsync(), Does.Contain(answer.Replace("\"", "\\\"", StringComparison.Ordinal)), "the answer, as JSON text");
        Assert.That(await _page.Locator("#task-panel").TextContentAsync(), Does.Contain(name));
        Assert.That(await Node("only").Locator("title").TextContentAsync(), Does.Contain("only"));
        Assert.That(await _page.Locator("img, #app script").CountAsync(), Is.Zero, "no element was made from a run's text");
        Assert.That(await _page.Locator("#app b", new PageLocatorOptions { HasText = "bold?" }).CountAsync(), Is.Zero);
        Assert.That(await _page.EvaluateAsync<string?>("() => window.__pwned ?? null"), Is.Null);
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task A_huge_result_is_cut_with_a_download_link()
    {
        var run = await _host.Engine.RunAsync(Workflows.Single(result: new JsonObject { ["response"] = new string('y', 50_000) }));

        await _page.GotoAsync(_host.Root + "runs/" + run.WorkflowId);
        await Node("only").ClickAsync();
        await _page.WaitForSelectorAsync("#result-truncated");

        Assert.That((await _page.Locator("#panel-result").TextContentAsync())!.Length, Is.EqualTo(2000));
        var download = await _page.RunAndWaitForDownloadAsync(() => _page.ClickAsync("#result-truncated a"));
        var path = await download.PathAsync();
        Assert.That(JsonNode.Parse(await File.ReadAllTextAsync(path))!["response"]!.GetValue<string>(), Has.Length.EqualTo(50_000));
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task Foreach_items_group_under_their_task_and_skips_by_condition_look_apart()
    {
        // Stored as an engine with foreach and when stores them: items research[i] beside their task, a skip with TASK_CONDITION_FALSE.
        var workflow = new WorkflowBuilder("fan-out")
            .AddTask("research", "gate/pass", new JsonObject { ["message"] = "x" })
            .AddTask("publish", "gate/pass", new JsonObject { ["message"] = "y" }, t => t.DependsOn("research"))
            .AddTask("fallback", "gate/pass", new JsonObject { ["message"] = "z" }, t => t.DependsOn("research"))
            .Build() with { Id = "fan-out-1" };
        var now = DateTimeOffset.UtcNow;
        TaskResult Item(int i, WorkflowTaskStatus status) => new() { TaskId = $"research[{i}]", Status = status, Attempts = 1, StartedAt = now, CompletedAt = status == WorkflowTaskStatus.Running ? null : now };
        var tasks = new Dictionary<string, TaskResult>
        {
            ["research"] = new() { TaskId = "research", Status = WorkflowTaskStatus.Running, StartedAt = now },
            ["publish"] = TaskResult.Pending("publish"),
            ["fallback"] = new() { TaskId = "fallback", Status = WorkflowTaskStatus.Skipped, Error = new GleitzeitError((GleitzeitErrorCode)(-29009), "when '${research.count} < 3' is false") },
            ["research[0]"] = Item(0, WorkflowTaskStatus.Completed),
            ["research[1]"] = Item(1, WorkflowTaskStatus.Completed),
            ["research[2]"] = Item(2, WorkflowTaskStatus.Running),
        };
        await _host.Store.CreateRunAsync(new WorkflowRun { WorkflowId = "fan-out-1", Name = "fan-out", Status = WorkflowStatus.Interrupted, Workflow = workflow, Tasks = tasks, CreatedAt = now, StartedAt = now });

        await _page.GotoAsync(_host.Root + "runs/fan-out-1");
        await WaitForStatusAsync("research", "running");

        Assert.That(await Node("research").Locator(".items-count").TextContentAsync(), Is.EqualTo("2/3 items"));
        Assert.That(await Node("research").Locator(".items-bar rect").CountAsync(), Is.EqualTo(2), "a segment for completed, one for running");
        Assert.That(await _page.Locator("svg#graph g[data-task-id^=\"research[\"]").CountAsync(), Is.Zero, "items are not nodes of their own");
        Assert.That(await _page.Locator("#tasks tr[data-task-id=\"research[2]\"]").GetAttributeAsync("data-status"), Is.EqualTo("running"));
        Assert.That(await Node("fallback").GetAttributeAsync("class"), Does.Contain("skip-condition"));
        Assert.That(await Node("publish").GetAttributeAsync("class"), Does.Not.Contain("skip-condition"));
        await ScreenshotAsync("dashboard-foreach.png");
        AssertNoConsoleErrors();
    }
}
