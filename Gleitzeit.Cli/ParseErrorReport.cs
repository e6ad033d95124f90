using System.CommandLine;
using System.CommandLine.Parsing;
using Gleitzeit.Cli.Configuration;

namespace Gleitzeit.Cli;

/// <summary>
/// A mistake in the command line itself, in the CLI's <c>error:</c>/<c>hint:</c> form: one error (the first word that was
/// not understood; the words after a misspelled command belong to it and are not reported again), and a hint with the
/// closest command or option and where to read the usage.
/// </summary>
internal static partial class ParseErrorReport
{
    public static (string Message, string Hint) Describe(RootCommand root, ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var path = CommandPath(parse.CommandResult, root);
        var usage = $"Run '{path} --help' for usage.";
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var options = OptionNames(parse.CommandResult).ToList();
                return ($"unknown option '{token}' for '{path}'", Suggest(token, options) is { } o ? $"Did you mean '{o}'? {usage}" : usage);
            }
            var subcommands = command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name)).ToList();
            if (subcommands.Count > 0 && !HasArgumentsLeft(parse.CommandResult))
            {
                return ($"unknown command '{token}'" + (command == root ? "" : $" for '{path}'"),
                    Suggest(token, subcommands) is { } c ? $"Did you mean '{path} {c}'? {usage}" : $"Commands: {string.Join(", ", command.Subcommands.Select(s => s.Name))}. {usage}");
            }
            return ($"unexpected argument '{token}' for '{path}'", $"Quote a value that contains spaces. {usage}");
        }
        var first = parse.Errors[0];
        if (command.Subcommands.Count > 0 && !parse.CommandResult.Children.Any() && command.Arguments.Count == 0)
        {
            return ($"'{path}' needs a command", $"Commands: {string.Join(", ", command.Subcommands.Select(s => s.Name))}. {usage}");
        }
        var message = first.Message.Replace("\r", "", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Trim().TrimEnd('.');
        message = ExpectedType().Replace(message, m => ": expected " + Describe(m.Groups["type"].Value));
        return (char.ToLowerInvariant(message[0]) + message[1..], usage);
    }

    /// <summary>What a .NET type name means to a user: <c>System.Nullable`1[System.Int32]</c> → <c>a whole number</c>.</summary>
    private static string Describe(string type) => type switch
    {
        _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a different kind of value",
    };

    [System.Text.RegularExpressions.GeneratedRegex(@" as expected type '(?<type>[^']*)'", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();

    private static string CommandPath(CommandResult result, RootCommand root)
    {
        var names = new List<string>();
        for (var r = result; r is not null && r.Command != root; r = r.Parent as CommandResult) names.Insert(0, r.Command.Name);
        return string.Join(' ', names.Prepend("gleitzeit"));
    }

    /// <summary>Options of the command and the recursive options of its parents.</summary>
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        var own = true;
        for (var r = result; r is not null; r = r.Parent as CommandResult)
        {
            foreach (var o in r.Command.Options.Where(o => own || o.Recursive)) foreach (var n in o.Aliases.Prepend(o.Name)) yield return n;
            own = false;
        }
    }

    /// <summary>Whether the command still takes a positional argument (then a word is that argument, not a command).</summary>
    private static bool HasArgumentsLeft(CommandResult result) =>
        result.Command.Arguments.Any(a => result.GetResult(a) is null);

    /// <summary>The closest name, by the one spelling rule the loader and the config use.</summary>
    internal static string? Suggest(string token, IReadOnlyList<string> names) => Gleitzeit.Core.Spelling.Suggest(token, names.Distinct());
}
