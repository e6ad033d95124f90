namespace Gleitzeit.Samples;

/// <summary>One runnable sample.</summary>
internal sealed record Sample(string Name, string Description, bool NeedsOllama, Func<SampleContext, Task<int>> RunAsync);
