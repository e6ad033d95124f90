using System.Runtime.InteropServices;

namespace Gleitzeit.Cli;

/// <summary>
/// SIGINT and SIGTERM for a command: the first cancels <see cref="Token"/> (the command stops and reports; a run is left
/// interrupted, to be resumed), and when the command
/// has not finished <see cref="GracePeriod"/> later, <see cref="Forced"/> completes so the process exits anyway; a second signal
/// cancels <see cref="Insisted"/> (a run is then cancelled for good) and completes <see cref="Forced"/> at once. Replaces System.CommandLine's handler, which blocks the signal thread while it waits and throws
/// <see cref="InvalidOperationException"/> (crashing the process) when a second signal arrives after its grace period.
/// Nothing here throws on the signal thread.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private const int SigIntExitCode = 130;
    private const int SigTermExitCode = 143;

    private static readonly AsyncLocal<TerminationSignals?> CurrentSignals = new();

    private readonly CancellationTokenSource _cancel = new();
    private readonly CancellationTokenSource _insisted = new();
    private readonly TaskCompletionSource<int> _forced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;
    private int _exitCode;

    public TerminationSignals(TimeSpan gracePeriod)
    {
        GracePeriod = gracePeriod;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // e.g. SIGTERM on Windows: the runtime's default handling stays
            }
        }
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Cancelled by a second signal: the user insists (Ctrl+C twice): what the first signal only interrupted is cancelled for good.</summary>
    public CancellationToken Insisted => _insisted.Token;

    /// <summary>130 after SIGINT, 143 after SIGTERM (the first signal's), null before any signal.</summary>
    public int? ExitCode => _exitCode == 0 ? null : _exitCode;

    /// <summary>The signals of the command running on this async flow (set by <see cref="CliApp"/>), or null (tests calling handlers directly).</summary>
    public static TerminationSignals? Current
    {
        get => CurrentSignals.Value;
        set => CurrentSignals.Value = value;
    }

    /// <summary>How long the command may take to stop after the first signal before the process exits without it.</summary>
    public TimeSpan GracePeriod { get; }

    /// <summary>Completes with 130 (SIGINT) or 143 (SIGTERM) when the process should exit without waiting for the command any longer.</summary>
    public Task<int> Forced => _forced.Task;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var exitCode = context.Signal == PosixSignal.SIGINT ? SigIntExitCode : SigTermExitCode;
        Signal(exitCode);
    }

    /// <summary>What a signal does: the first cancels, a second forces.</summary>
    internal void Signal(int exitCode)
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            try
            {
                _insisted.Cancel();
            }
            catch (Exception ex) when (ex is AggregateException or ObjectDisposedException)
            {
                // A callback failed, or the command is over: the exit is forced all the same.
            }
            _forced.TrySetResult(exitCode);
            return;
        }
        Interlocked.CompareExchange(ref _exitCode, exitCode, 0);
        try
        {
            _cancel.Cancel();
        }
        catch (AggregateException)
        {
            // A cancellation callback failed; the command still sees the token cancelled, and the grace period still applies.
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        _ = Task.Delay(GracePeriod).ContinueWith(_ => _forced.TrySetResult(exitCode), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cancel.Dispose();
        _insisted.Dispose();
    }
}
