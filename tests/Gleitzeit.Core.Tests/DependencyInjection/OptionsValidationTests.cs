using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.DependencyInjection;

/// <summary>
/// One options convention: a validator per options class, run on start and by the constructors that take options;
/// every problem is reported at once, never one per attempt.
/// </summary>
public class OptionsValidationTests
{
    [Test]
    public async Task Every_invalid_engine_option_is_reported_together_at_start()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit(o =>
        {
            o.MaxConcurrency = 0;
            o.DefaultTaskTimeout = TimeSpan.FromSeconds(-1);
            o.DefaultRetry = new RetryPolicy { MaxAttempts = 0 };
            o.MaxWorkflowFileBytes = 0;
        });
        await using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate())!;

        Assert.That(ex.Failures, Has.Count.EqualTo(4), ex.Message);
        Assert.That(ex.Message, Does.Contain("MaxConcurrency").And.Contain("DefaultTaskTimeout").And.Contain("DefaultRetry").And.Contain("MaxWorkflowFileBytes"));
    }

    [Test]
    public void The_engine_constructor_reports_every_invalid_option_at_once()
    {
        var options = Options.Create(new GleitzeitOptions { MaxConcurrency = 0, DefaultTaskTimeout = TimeSpan.FromSeconds(-1) });

        var ex = Assert.Throws<ArgumentException>(() => _ = new ExecutionEngine(new ProviderRegistry(), options: options))!;

        Assert.That(ex.ParamName, Is.EqualTo("options"));
        Assert.That(ex.Message, Does.Contain("MaxConcurrency").And.Contain("DefaultTaskTimeout"));
    }

    [Test]
    public async Task Invalid_options_of_several_classes_are_reported_together_at_start()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit(o => o.MaxConcurrency = 0).AddLlm(new UnusedChatClient(), configure: o => o.MaxImageBytes = 0);
        services.Configure<BatchOptions>(o => o.MaxConcurrent = 0);
        await using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<AggregateException>(() => sp.GetRequiredService<IStartupValidator>().Validate())!;

        var failures = ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.That(failures, Has.Some.Contains("GleitzeitOptions.MaxConcurrency"));
        Assert.That(failures, Has.Some.Contains("LlmOptions.MaxImageBytes"));
        Assert.That(failures, Has.Some.Contains("BatchOptions.MaxConcurrent"));
    }

    [Test]
    public async Task Valid_options_pass_the_start_check()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddLlm(new UnusedChatClient());
        await using var sp = services.BuildServiceProvider();

        Assert.DoesNotThrow(() => sp.GetRequiredService<IStartupValidator>().Validate());
    }

    [Test]
    public void The_llm_provider_constructor_reports_every_invalid_option_at_once()
    {
        var options = new LlmOptions { MaxFileBytes = 0, MaxImageBytes = -1, ServiceName = " " };

        var ex = Assert.Throws<ArgumentException>(() => _ = new LlmProvider(new UnusedChatClient(), options: options))!;

        Assert.That(ex.ParamName, Is.EqualTo("options"));
        Assert.That(ex.Message, Does.Contain("MaxFileBytes").And.Contain("MaxImageBytes").And.Contain("ServiceName"));
    }

    [Test]
    public async Task The_batch_processor_constructor_reports_every_invalid_option_at_once()
    {
        await using var engine = new ExecutionEngine(new ProviderRegistry(), new InMemoryWorkflowStore());

        var ex = Assert.Throws<ArgumentException>(() => _ = new BatchProcessor(engine, Options.Create(new BatchOptions { MaxFileSize = 0, MaxConcurrent = 0 })))!;

        Assert.That(ex.Message, Does.Contain("MaxFileSize").And.Contain("MaxConcurrent"));
    }

    [Test]
    public async Task AddLlm_takes_its_options_from_IOptions()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddLlm(new UnusedChatClient(), configure: o => o.DefaultModel = "from-add");
        services.Configure<LlmOptions>(o => o.VisionModel = "from-configure");
        await using var sp = services.BuildServiceProvider();

        var provider = (LlmProvider)sp.GetRequiredService<ProviderRegistry>().Providers.Single(p => p.Provider is not Gleitzeit.Core.Human.HumanProvider).Provider;

        Assert.That(provider.Options.DefaultModel, Is.EqualTo("from-add"));
        Assert.That(provider.Options.VisionModel, Is.EqualTo("from-configure"));
    }

    [Test]
    public async Task Both_sides_of_the_store_are_the_registered_store()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit();
        await using var sp = services.BuildServiceProvider();

        var store = sp.GetRequiredService<IWorkflowStore>();

        Assert.That(sp.GetRequiredService<IWorkflowStateStore>(), Is.SameAs(store));
        Assert.That(sp.GetRequiredService<IWorkflowHistory>(), Is.SameAs(store));
    }

    /// <summary>A chat client the tests above never call: they check registration and options only.</summary>
    private sealed class UnusedChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("not called by these tests");

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("not called by these tests");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
