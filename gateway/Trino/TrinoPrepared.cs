using System.Globalization;
using System.Net;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sql;
using Gateway.Server.Hive;
using Gateway.Server.Sessions;

namespace Gateway.Server.Trino;

/// <summary>
/// Trino's prepared statements on the frontend. Trino keeps them on the client: <c>PREPARE name FROM stmt</c> is
/// answered with <c>X-Trino-Added-Prepare</c>, <c>DEALLOCATE PREPARE name</c> with <c>X-Trino-Deallocated-Prepare</c>,
/// and every later request carries them in <c>X-Trino-Prepared-Statement</c> (name=URL-encoded text). <c>EXECUTE name
/// USING v1, v2</c> and <c>EXECUTE IMMEDIATE 'stmt' USING ...</c> run the statement with the values bound as
/// parameters of its <c>?</c> markers, never spliced into its text. The values must be literals (Trino's typed
/// literals such as <c>BIGINT '41'</c>, <c>DATE '2024-01-31'</c>, <c>X'0a'</c>, or plain numbers, strings, booleans,
/// NULL), which is what the Trino JDBC, Python, Go and Node clients send.
/// </summary>
internal static class TrinoPrepared
{
    /// <summary>The prepared statements a request carries, by name.</summary>
    public static Dictionary<string, string> FromHeaders(Microsoft.Extensions.Primitives.StringValues values)
    {
        var prepared = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in values)
        {
            foreach (var item in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = item.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0) prepared[WebUtility.UrlDecode(item[..eq].Trim())] = WebUtility.UrlDecode(item[(eq + 1)..].Trim());
            }
        }
        return prepared;
    }

    /// <summary><c>PREPARE name FROM statement</c>: the name and the statement's text, or null for any other statement.</summary>
    public static (string Name, string Statement)? Prepare(string sql, IReadOnlyList<SqlToken> tokens)
    {
        if (tokens.Count < 4 || !tokens[0].IsWord("PREPARE") || !tokens[1].IsIdentifier || !tokens[2].IsWord("FROM")) return null;
        var end = tokens[^1].Kind == SqlTokenKind.Semicolon ? tokens[^1].Start : sql.Length;
        var statement = sql[tokens[3].Start..end].Trim();
        return statement.Length == 0 ? null : (tokens[1].Value, statement);
    }

    /// <summary><c>DEALLOCATE PREPARE name</c>: the name, or null for any other statement.</summary>
    public static string? Deallocate(IReadOnlyList<SqlToken> tokens) =>
        tokens.Count >= 3 && tokens[0].IsWord("DEALLOCATE") && tokens[1].IsWord("PREPARE") && tokens[2].IsIdentifier
        && (tokens.Count == 3 || tokens is [.., { Kind: SqlTokenKind.Semicolon }] && tokens.Count == 4) ? tokens[2].Value : null;

    /// <summary>
    /// <c>EXECUTE name [USING ...]</c> or <c>EXECUTE IMMEDIATE 'statement' [USING ...]</c>: the statement to run and its
    /// parameters; null for any other statement. A name that was not prepared, or a value that is not a literal, fails.
    /// </summary>
    public static (string Sql, IReadOnlyList<QueryParameter> Parameters)? Execute(IReadOnlyList<SqlToken> tokens, IReadOnlyDictionary<string, string> prepared, TimeZoneInfo zone)
    {
        if (tokens.Count < 2 || !tokens[0].IsWord("EXECUTE")) return null;
        string statement;
        int i;
        if (tokens[1].IsWord("IMMEDIATE") && tokens.Count >= 3 && tokens[2].Kind == SqlTokenKind.String)
        {
            statement = tokens[2].Value;
            i = 3;
        }
        else if (tokens[1].IsIdentifier)
        {
            if (!prepared.TryGetValue(tokens[1].Value, out var text))
            {
                throw new GatewayException($"Prepared statement not found: {tokens[1].Value}", "26000");
            }
            statement = text;
            i = 2;
        }
        else return null;
        var values = new List<TSparkParameter>();
        var binary = new Dictionary<int, byte[]>();
        if (i < tokens.Count && tokens[i].Kind != SqlTokenKind.Semicolon)
        {
            if (!tokens[i].IsWord("USING")) throw new GatewayException("EXECUTE takes USING and a list of values after the statement.", "42000");
            i++;
            while (true)
            {
                var (value, bytes, next) = Literal(tokens, i, values.Count + 1);
                if (bytes is not null) binary[values.Count] = bytes;
                values.Add(value);
                i = next;
                if (i < tokens.Count && tokens[i].Kind == SqlTokenKind.Comma)
                {
                    i++;
                    continue;
                }
                break;
            }
        }
        if (i < tokens.Count && !(tokens[i].Kind == SqlTokenKind.Semicolon && i == tokens.Count - 1))
        {
            throw new GatewayException("EXECUTE ... USING takes literal values separated by commas.", "42000");
        }
        var parameters = SparkParameters.Convert(values, zone).ToArray();
        foreach (var (k, bytes) in binary) parameters[k] = parameters[k] with { Type = SqlType.Binary, Value = bytes };
        return (statement, parameters);
    }

    /// <summary>One literal value at <paramref name="i"/>, as the Spark parameter the gateway already converts (binary apart).</summary>
    private static (TSparkParameter Value, byte[]? Binary, int Next) Literal(IReadOnlyList<SqlToken> tokens, int i, int ordinal)
    {
        TSparkParameter Of(string type, string? text) =>
            new() { Ordinal = ordinal, Type = type, Value = text is null ? null : new TSparkParameterValue { StringValue = text } };
        GatewayException NotLiteral() => new($"EXECUTE ... USING: value #{ordinal} must be a literal (a number, a string, a typed literal such as DATE '2024-01-31', or NULL).", "0A000");

        if (i >= tokens.Count) throw NotLiteral();
        var t = tokens[i];
        var sign = "";
        if (t.Kind == SqlTokenKind.Operator && t.Value is "-" or "+" && i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.Number)
        {
            sign = t.Value == "-" ? "-" : "";
            t = tokens[++i];
        }
        switch (t.Kind)
        {
            case SqlTokenKind.Number:
                var number = sign + t.Value;
                if (t.Value.Contains('e', StringComparison.OrdinalIgnoreCase)) return (Of("DOUBLE", number), null, i + 1);
                if (t.Value.Contains('.', StringComparison.Ordinal)) return (Of("DECIMAL", number), null, i + 1);
                // Trino's integer literal is an INTEGER when it fits, else a BIGINT.
                return (Of(long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n is >= int.MinValue and <= int.MaxValue ? "INTEGER" : "BIGINT", number), null, i + 1);
            case SqlTokenKind.String when sign.Length == 0:
                return (Of("STRING", t.Value), null, i + 1);
            case SqlTokenKind.Word when sign.Length == 0:
                if (t.IsWord("NULL")) return (Of("VOID", null), null, i + 1);
                if (t.IsWord("TRUE") || t.IsWord("FALSE")) return (Of("BOOLEAN", t.Value), null, i + 1);
                if (t.Value is "X" or "x" && i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.String && tokens[i + 1].Start == t.End)
                {
                    var hex = tokens[i + 1].Value.Replace(" ", "", StringComparison.Ordinal);
                    try
                    {
                        return (Of("BINARY", hex), Convert.FromHexString(hex), i + 2);
                    }
                    catch (FormatException)
                    {
                        throw new GatewayException($"EXECUTE ... USING: value #{ordinal} is not hexadecimal: X'{hex}'.", "22018");
                    }
                }
                if (i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.String)
                {
                    var text = tokens[i + 1].Value;
                    var type = t.Value.ToUpperInvariant() switch
                    {
                        "BOOLEAN" or "TINYINT" or "SMALLINT" or "INTEGER" or "INT" or "BIGINT" or "REAL" or "DOUBLE" or "DECIMAL" or "DATE" => t.Value.ToUpperInvariant(),
                        "VARCHAR" or "CHAR" or "JSON" or "UUID" => "STRING",
                        "TIMESTAMP" => WithZone(ref text) ? "TIMESTAMP" : "TIMESTAMP_NTZ",
                        _ => throw NotLiteral(),
                    };
                    return (Of(type, text), null, i + 2);
                }
                throw NotLiteral();
            default:
                throw NotLiteral();
        }
    }

    /// <summary>
    /// Whether a Trino timestamp literal names a zone (<c>2024-01-31 12:00:00 UTC</c>, <c>... Europe/Paris</c>,
    /// <c>... +02:00</c>); a named zone becomes its offset at that time, which the instant parser reads.
    /// </summary>
    private static bool WithZone(ref string text)
    {
        var t = text.Trim();
        var space = t.LastIndexOf(' ');
        if (space > 0 && t.IndexOf(' ', StringComparison.Ordinal) < space)
        {
            var zoneName = t[(space + 1)..];
            var wall = t[..space];
            if (zoneName is "UTC" or "Z" or "GMT")
            {
                text = wall + "Z";
                return true;
            }
            if (zoneName.StartsWith('+') || zoneName.StartsWith('-'))
            {
                text = wall + zoneName;
                return true;
            }
            if (TimeZoneInfo.TryFindSystemTimeZoneById(zoneName, out var zone)
                && DateTime.TryParse(wall, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            {
                var offset = zone.GetUtcOffset(local);
                text = wall + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
                return true;
            }
        }
        return false;
    }
}
