namespace Gleitzeit.Core.Execution;

internal enum StopReason
{
    None,
    Cancelled,
    TimedOut,
    Faulted,
    Shutdown,
    LeaseLost,
}
