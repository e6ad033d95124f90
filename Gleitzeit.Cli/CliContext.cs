using System.CommandLine;
using Gleitzeit.Cli.Configuration;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Cli.Wiring;

namespace Gleitzeit.Cli;

/// <summary>What a command's action works with: parsed global options, output, configuration and (built on first use) services.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    private CliSettings? _settings;
    private GleitzeitServices? _services;

    public CliContext(ParseResult parse, CancellationToken cancellationToken)
    {
        Parse = parse;
        CancellationToken = cancellationToken;
        Signals = TerminationSignals.Current;
        Json = parse.GetValue(GlobalOptions.Json);
        Debug = parse.GetValue(GlobalOptions.Debug);
        Output = new Output(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, Output.TerminalSupportsRich(), Json);
    }

    public ParseResult Parse { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>SIGINT/SIGTERM of this command (null when a test calls a handler without <see cref="CliApp"/>).</summary>
    public TerminationSignals? Signals { get; }

    /// <summary>Cancelled by a second signal: cancel for good what the first only interrupted.</summary>
    public CancellationToken Insisted => Signals?.Insisted ?? CancellationToken.None;

    /// <summary>130 (SIGINT) or 143 (SIGTERM) once a signal came, else null.</summary>
    public int? SignalExitCode => Signals?.ExitCode;

    public bool Json { get; }

    public bool Debug { get; }

    public Output Output { get; }

    /// <summary>Configuration file, then environment, then flags (<c>--backend</c>; commands add theirs with <see cref="Override"/>).</summary>
    public CliSettings Settings
    {
        get
        {
            if (_settings is null)
            {
                var settings = CliSettings.Load(Parse.GetValue(GlobalOptions.Config));
                if (Parse.GetValue(GlobalOptions.Backend) is { Length: > 0 } backend)
                {
                    settings = settings.WithFlag(SettingKeys.Backend, backend, "--backend");
                }
                _settings = settings;
            }
            return _settings;
        }
    }

    /// <summary>Applies a command's own flag to a setting; call before <see cref="GetServices"/>.</summary>
    public void Override(string key, string? value, string flag)
    {
        if (value is null) return;
        _settings = Settings.WithFlag(key, value, flag);
    }

    public GleitzeitServices GetServices() => _services ??= GleitzeitServices.Create(Settings, Debug);

    /// <summary>Services with a distributed worker of <paramref name="concurrency"/> tasks (redis backend).</summary>
    public GleitzeitServices GetWorkerServices(int concurrency) => _services ??= GleitzeitServices.Create(Settings, Debug, concurrency);

    public async ValueTask DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON document on stdout instead of text (see docs/cli.md for each shape).", Recursive = true };

    public static readonly Option<bool> Debug = new("--debug") { Description = "Show stack traces and engine logs on stderr.", Recursive = true };

    public static readonly Option<string?> Config = new("--config") { Description = "Configuration file (default: $GLEITZEIT_CONFIG, else ~/.gleitzeit/config.yaml).", Recursive = true, HelpName = "FILE" };

    public static readonly Option<string?> Backend = new("--backend")
    {
        Description = "Store for this command: sqlite, redis or memory (overrides persistence.backend).",
        Recursive = true,
        HelpName = "sqlite|redis|memory",
    };

    static GlobalOptions()
    {
        Backend.AcceptOnlyFromAmong("sqlite", "redis", "memory");
    }
}
