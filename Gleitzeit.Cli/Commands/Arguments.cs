using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gleitzeit.Cli.Commands;

/// <summary>Parsing of NAME=VALUE pairs and durations given on the command line.</summary>
internal static partial class Arguments
{
    /// <summary>Parses <c>NAME=VALUE</c> pairs. A value that is JSON (a number, true/false/null, "quoted", [..], {..}) keeps its
    /// JSON type; anything else is a string.</summary>
    public static Dictionary<string, JsonNode?> ParsePairs(IEnumerable<string>? pairs, string flag)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw CliException.Invalid($"{flag} '{pair}' must be NAME=VALUE.", $"For example: {flag} topic=\"the sea\"");
            }
            var name = pair[..eq].Trim();
            result[name] = ParseValue(pair[(eq + 1)..], $"{flag} {name}");
        }
        return result;
    }

    /// <summary>Deepest JSON a value may have: what System.Text.Json reads and writes by default. A deeper value is refused
    /// with an error rather than quietly passed on as a string.</summary>
    public const int MaxJsonDepth = 64;

    public static JsonNode? ParseValue(string text, string what = "value")
    {
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && (trimmed[0] is '[' or '{' or '"' or '-' || char.IsDigit(trimmed[0]) || trimmed is "true" or "false" or "null"))
        {
            if (trimmed[0] is '[' or '{' && JsonDepth(trimmed) is > MaxJsonDepth and var depth)
            {
                throw CliException.Invalid($"{what}: the JSON value is nested {depth} levels deep; at most {MaxJsonDepth} are supported.",
                    "Pass a flatter value, or put the data in a file and read it from a task.");
            }
            try
            {
                return JsonNode.Parse(trimmed);
            }
            catch (JsonException)
            {
                // Not JSON after all: a plain string.
            }
        }
        return JsonValue.Create(text);
    }

    /// <summary>How deep a JSON text nests (read without recursion); 0 when it is not JSON.</summary>
    public static int JsonDepth(string json)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = int.MaxValue, CommentHandling = JsonCommentHandling.Skip });
        var deepest = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) deepest = Math.Max(deepest, reader.CurrentDepth + 1);
            }
        }
        catch (JsonException)
        {
            return 0;
        }
        return deepest;
    }

    /// <summary>Parses <c>7d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>, <c>2w</c> (or combinations such as <c>1d12h</c>).</summary>
    public static TimeSpan ParseAge(string text, string flag)
    {
        var match = AgePattern().Match(text.Trim());
        if (!match.Success || match.Length == 0)
        {
            throw CliException.Invalid($"{flag} '{text}' is not a duration.", "Use a number with a unit: 7d, 12h, 30m, 45s, 2w (or combined: 1d12h).");
        }
        var total = TimeSpan.Zero;
        foreach (Capture c in match.Groups["part"].Captures)
        {
            var n = double.Parse(c.Value[..^1], CultureInfo.InvariantCulture);
            total += char.ToLowerInvariant(c.Value[^1]) switch
            {
                'w' => TimeSpan.FromDays(7 * n),
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }
        return total;
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?[wdhms])+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AgePattern();
}
