namespace Gleitzeit.Providers.Python;

/// <summary>Settings of the <c>python/v1</c> provider, bound by <c>AddPython(o => ...)</c> and validated on start.</summary>
public sealed class PythonOptions
{
    /// <summary>Default <see cref="MemoryLimitBytes"/>: 1 GiB.</summary>
    public const long DefaultMemoryLimitBytes = 1L << 30;

    /// <summary>Default <see cref="MaxOutputBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxOutputBytes = 1 << 20;

    /// <summary>
    /// The python3 interpreter: a path, or a command name looked up on PATH. Default: the environment variable
    /// <c>GLEITZEIT_PYTHON</c>, else <c>python3</c> on PATH. A pyenv shim is resolved once to the real executable
    /// behind it (the shim costs ~90 ms per start).
    /// </summary>
    public string? Interpreter { get; set; }

    /// <summary>Worker processes kept warm (started lazily), and so the most Python tasks running at once. Default: 2.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>Limit for one execution when the task's <c>timeout</c> parameter sets none. Default: 30 seconds.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Address-space limit of each worker (<c>RLIMIT_AS</c>; POSIX only). Default: 1 GiB. Null: no limit.</summary>
    public long? MemoryLimitBytes { get; set; } = DefaultMemoryLimitBytes;

    /// <summary>Most bytes of stdout (and, separately, of stderr) kept per execution; more is cut with a marker. Default: 1 MiB.</summary>
    public int MaxOutputBytes { get; set; } = DefaultMaxOutputBytes;

    /// <summary>Second place a relative <c>file</c> is looked for, after the workflow's base directory. Default: none.</summary>
    public string? ScriptsDirectory { get; set; }

    /// <summary>
    /// Working directory of the code. Default (null): the workflow's base directory (the YAML file's folder, or
    /// <c>WithBaseDirectory</c>), so relative paths mean what they mean in the workflow; else this process's current directory.
    /// </summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Extra environment variables for the code. The workers' environment is otherwise scrubbed to PATH, HOME, LANG
    /// and TMPDIR, so the host's secrets are not visible.
    /// </summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How executions are separated. Default: <see cref="PythonIsolation.Pool"/>.</summary>
    public PythonIsolation Isolation { get; set; } = PythonIsolation.Pool;

    /// <summary>A pooled worker is replaced after this many executions. Default: 1000.</summary>
    public int MaxExecutionsPerWorker { get; set; } = 1000;

    /// <summary>How long a new worker may take to report ready. Default: 30 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal IEnumerable<string> Validate()
    {
        if (Workers < 1) yield return $"PythonOptions.Workers must be at least 1 (got {Workers}).";
        if (DefaultTimeout <= TimeSpan.Zero) yield return $"PythonOptions.DefaultTimeout must be positive (got {DefaultTimeout}).";
        if (MemoryLimitBytes is < 64L << 20) yield return $"PythonOptions.MemoryLimitBytes must be at least 64 MiB, or null for no limit (got {MemoryLimitBytes}); python3 itself needs about 30 MiB of address space.";
        if (MaxOutputBytes < 1) yield return $"PythonOptions.MaxOutputBytes must be at least 1 (got {MaxOutputBytes}).";
        if (MaxExecutionsPerWorker < 1) yield return $"PythonOptions.MaxExecutionsPerWorker must be at least 1 (got {MaxExecutionsPerWorker}).";
        if (StartTimeout <= TimeSpan.Zero) yield return $"PythonOptions.StartTimeout must be positive (got {StartTimeout}).";
        if (Interpreter is { } i && string.IsNullOrWhiteSpace(i)) yield return "PythonOptions.Interpreter is blank: set a path or command name, or leave it null for GLEITZEIT_PYTHON / python3.";
        if (WorkingDirectory is { } w && !Directory.Exists(w)) yield return $"PythonOptions.WorkingDirectory '{w}' does not exist.";
        if (ScriptsDirectory is { } s && !Directory.Exists(s)) yield return $"PythonOptions.ScriptsDirectory '{s}' does not exist.";
        foreach (var name in Environment.Keys)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                yield return $"PythonOptions.Environment has an invalid variable name '{name}'.";
            }
        }
    }

    /// <summary>A copy, so later changes to this instance do not reach a running provider.</summary>
    internal PythonOptions Clone()
    {
        var copy = new PythonOptions
        {
            Interpreter = Interpreter,
            Workers = Workers,
            DefaultTimeout = DefaultTimeout,
            MemoryLimitBytes = MemoryLimitBytes,
            MaxOutputBytes = MaxOutputBytes,
            ScriptsDirectory = ScriptsDirectory is null ? null : Path.GetFullPath(ScriptsDirectory),
            WorkingDirectory = WorkingDirectory is null ? null : Path.GetFullPath(WorkingDirectory),
            Isolation = Isolation,
            MaxExecutionsPerWorker = MaxExecutionsPerWorker,
            StartTimeout = StartTimeout,
        };
        foreach (var (k, v) in Environment) copy.Environment[k] = v;
        return copy;
    }
}
