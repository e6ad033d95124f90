using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Providers.Python.Substitution;

/// <summary>
/// Keeps references inside <c>code</c> out of the source text (ARCHITECTURE §5). Each <c>${...}</c> is replaced by a
/// placeholder name: identifier characters only, with a random nonce found nowhere else in the code or the values, so the
/// code's lexical structure stays what its author wrote. The values travel beside the code. The worker's own interpreter
/// then parses the code and decides, from its syntax tree, what each placeholder stands for (worker.py, <c>Bindings</c>):
/// a variable holding the value in an expression or as a whole string literal, the value's text inside a longer string or
/// an f-string's text, nothing in a comment. No C# code follows Python's grammar, so no Python version can get ahead of it.
/// </summary>
/// <remarks>
/// The rendered parameter is an envelope: <see cref="Marker"/> (it starts with a NUL, which no Python source can hold)
/// followed by JSON. <see cref="TryOpen"/> turns it back into the worker request's <c>code</c> and <c>bind</c>.
/// </remarks>
internal static class PythonCodeRenderer
{
    public const string Marker = "\0gleitzeit-python-bound-code/1\0";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(Template template, IReadOnlyList<JsonNode?> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.Select(ReferenceResolver.RenderText).ToList();
        var json = values.Select(v => v?.ToJsonString(Compact) ?? "null").ToList();
        string nonce;
        do
        {
            nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        }
        while (template.Source.Contains(nonce, StringComparison.Ordinal)
            || texts.Any(t => t.Contains(nonce, StringComparison.Ordinal)) || json.Any(j => j.Contains(nonce, StringComparison.Ordinal)));

        var source = new StringBuilder(template.Source.Length + 32);
        var bindings = new JsonArray();
        var next = 0;
        foreach (var part in template.Parts)
        {
            if (part.Reference is not { } reference)
            {
                source.Append(part.Text);
                continue;
            }
            var name = $"__gz_{nonce}_{next}__";
            source.Append(name);
            bindings.Add((JsonNode)new JsonObject
            {
                ["name"] = name,
                ["ref"] = reference.Expression,
                ["value"] = values[next]?.DeepClone(),
                ["text"] = texts[next],
            });
            next++;
        }
        var envelope = new JsonObject { ["code"] = source.ToString(), ["nonce"] = nonce, ["bindings"] = bindings };
        return Marker + envelope.ToJsonString(Compact);
    }

    /// <summary>Opens an envelope made by <see cref="Render"/>: the code with placeholders, and the bindings for the worker.</summary>
    public static bool TryOpen(string code, out string source, out JsonObject? bind)
    {
        source = code;
        bind = null;
        if (!code.StartsWith(Marker, StringComparison.Ordinal)) return false;
        var envelope = JsonNode.Parse(code.AsSpan(Marker.Length).ToString())!.AsObject();
        source = (string)envelope["code"]!;
        bind = new JsonObject { ["nonce"] = envelope["nonce"]!.DeepClone(), ["bindings"] = envelope["bindings"]!.DeepClone() };
        return true;
    }
}
