using System.Globalization;
using System.Text;

namespace Gateway.Protocol.Hive.Generator;

/// <summary>
/// Parses the subset of the Thrift IDL our TCLIService definition uses: namespace, typedef, const
/// (string/integer), enum, struct, union, exception, service, comments, field annotations and
/// struct annotations. Anything else is an error with a line number, never silently ignored.
/// </summary>
public sealed class IdlParser
{
    private readonly List<Token> _tokens;
    private int _pos;

    private IdlParser(List<Token> tokens) => _tokens = tokens;

    public static IdlDocument Parse(string text)
    {
        var parser = new IdlParser(Tokenize(text));
        return parser.Document();
    }

    private enum TokenKind
    {
        Identifier,
        Number,
        String,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Line);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n') { line++; i++; continue; }
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0) throw new FormatException($"Line {line}: unterminated comment.");
                for (var j = i; j < end; j++) if (text[j] == '\n') line++;
                i = end + 2;
                continue;
            }
            if (c is '"' or '\'')
            {
                var sb = new StringBuilder();
                var j = i + 1;
                while (j < text.Length && text[j] != c)
                {
                    if (text[j] == '\n') throw new FormatException($"Line {line}: newline in string literal.");
                    sb.Append(text[j++]);
                }
                if (j >= text.Length) throw new FormatException($"Line {line}: unterminated string literal.");
                tokens.Add(new Token(TokenKind.String, sb.ToString(), line));
                i = j + 1;
                continue;
            }
            if (char.IsDigit(c) || ((c == '-' || c == '+') && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                var j = i + 1;
                while (j < text.Length && (char.IsLetterOrDigit(text[j]) || text[j] == '.')) j++;
                tokens.Add(new Token(TokenKind.Number, text[i..j], line));
                i = j;
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                var j = i + 1;
                while (j < text.Length && (char.IsLetterOrDigit(text[j]) || text[j] is '_' or '.')) j++;
                tokens.Add(new Token(TokenKind.Identifier, text[i..j], line));
                i = j;
                continue;
            }
            if ("{}()<>,;:=[]".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), line));
                i++;
                continue;
            }
            throw new FormatException($"Line {line}: unexpected character '{c}'.");
        }
        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private bool IsSymbol(string s) => Peek.Kind == TokenKind.Symbol && Peek.Text == s;

    private bool TrySymbol(string s)
    {
        if (!IsSymbol(s)) return false;
        _pos++;
        return true;
    }

    private void Expect(string symbol)
    {
        if (!TrySymbol(symbol)) throw Error($"expected '{symbol}', found '{Peek.Text}'");
    }

    private string Identifier()
    {
        var t = Next();
        if (t.Kind != TokenKind.Identifier) throw new FormatException($"Line {t.Line}: expected an identifier, found '{t.Text}'.");
        return t.Text;
    }

    private FormatException Error(string message) => new($"Line {Peek.Line}: {message}.");

    private void SkipSeparator()
    {
        if (!TrySymbol(",")) TrySymbol(";");
    }

    private IdlDocument Document()
    {
        var doc = new IdlDocument();
        while (Peek.Kind != TokenKind.End)
        {
            var keyword = Identifier();
            switch (keyword)
            {
                case "namespace":
                    {
                        var scope = Identifier();
                        var name = Identifier();
                        if (scope == "cs" || scope == "csharp" || scope == "netstd") doc.CSharpNamespace = name;
                        break;
                    }
                case "typedef":
                    {
                        var type = Type();
                        doc.Typedefs[Identifier()] = type;
                        SkipSeparator();
                        break;
                    }
                case "const":
                    {
                        var type = Type();
                        var name = Identifier();
                        Expect("=");
                        var value = Next();
                        if (value.Kind is not (TokenKind.String or TokenKind.Number)) throw new FormatException($"Line {value.Line}: only string and integer constants are supported.");
                        doc.Consts.Add(new IdlConst(type, name, value.Text));
                        SkipSeparator();
                        break;
                    }
                case "enum":
                    doc.Enums.Add(Enum());
                    break;
                case "struct":
                    doc.Structs.Add(Struct(StructKind.Struct));
                    break;
                case "union":
                    doc.Structs.Add(Struct(StructKind.Union));
                    break;
                case "exception":
                    doc.Structs.Add(Struct(StructKind.Exception));
                    break;
                case "service":
                    doc.Services.Add(Service());
                    break;
                default:
                    throw new FormatException($"Line {_tokens[_pos - 1].Line}: unsupported definition '{keyword}'.");
            }
        }
        return doc;
    }

    private IdlEnum Enum()
    {
        var name = Identifier();
        Expect("{");
        var members = new List<(string, long)>();
        long next = 0;
        while (!TrySymbol("}"))
        {
            var member = Identifier();
            var value = next;
            if (TrySymbol("=")) value = Integer(Next());
            members.Add((member, value));
            next = value + 1;
            SkipSeparator();
        }
        Annotations();
        return new IdlEnum(name, members);
    }

    private static long Integer(Token t)
    {
        if (t.Kind != TokenKind.Number) throw new FormatException($"Line {t.Line}: expected an integer, found '{t.Text}'.");
        var s = t.Text;
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+')) s = s[1..];
        var value = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    private IdlStruct Struct(StructKind kind)
    {
        var name = Identifier();
        Expect("{");
        var fields = new List<IdlField>();
        while (!TrySymbol("}"))
        {
            fields.Add(Field());
        }
        var annotations = Annotations();
        var ids = new HashSet<short>();
        foreach (var f in fields)
        {
            if (!ids.Add(f.Id)) throw new FormatException($"{name}: duplicate field id {f.Id}.");
        }
        return new IdlStruct(name, kind, fields, annotations);
    }

    private IdlField Field()
    {
        var idToken = Next();
        var id = Integer(idToken);
        if (id is < 1 or > short.MaxValue) throw new FormatException($"Line {idToken.Line}: field id {id} out of range (implicit ids are not supported).");
        Expect(":");
        var requiredness = Requiredness.Default;
        if (Peek.Kind == TokenKind.Identifier && Peek.Text == "required") { _pos++; requiredness = Requiredness.Required; }
        else if (Peek.Kind == TokenKind.Identifier && Peek.Text == "optional") { _pos++; requiredness = Requiredness.Optional; }
        var type = Type();
        var name = Identifier();
        string? defaultValue = null;
        if (TrySymbol("="))
        {
            var t = Next();
            if (t.Kind is not (TokenKind.Number or TokenKind.Identifier or TokenKind.String)) throw new FormatException($"Line {t.Line}: unsupported default value '{t.Text}'.");
            defaultValue = t.Kind == TokenKind.String ? "\"" + t.Text + "\"" : t.Text;
        }
        Annotations();
        SkipSeparator();
        return new IdlField((short)id, requiredness, type, name, defaultValue);
    }

    private Dictionary<string, string> Annotations()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!TrySymbol("(")) return result;
        while (!TrySymbol(")"))
        {
            var key = Identifier();
            var value = "";
            if (TrySymbol("="))
            {
                var t = Next();
                if (t.Kind != TokenKind.String) throw new FormatException($"Line {t.Line}: annotation values are strings.");
                value = t.Text;
            }
            result[key] = value;
            SkipSeparator();
        }
        return result;
    }

    private IdlType Type()
    {
        var name = Identifier();
        switch (name)
        {
            case "list":
                {
                    Expect("<");
                    var element = Type();
                    Expect(">");
                    return new IdlType.ListOf(element);
                }
            case "set":
                {
                    Expect("<");
                    var element = Type();
                    Expect(">");
                    return new IdlType.SetOf(element);
                }
            case "map":
                {
                    Expect("<");
                    var key = Type();
                    Expect(",");
                    var value = Type();
                    Expect(">");
                    return new IdlType.MapOf(key, value);
                }
            case "bool" or "byte" or "i8" or "i16" or "i32" or "i64" or "double" or "string" or "binary":
                return new IdlType.Base(name == "i8" ? "byte" : name);
            default:
                return new IdlType.Named(name);
        }
    }

    private IdlService Service()
    {
        var name = Identifier();
        Expect("{");
        var methods = new List<IdlMethod>();
        while (!TrySymbol("}"))
        {
            if (Peek.Kind == TokenKind.Identifier && Peek.Text == "oneway") throw Error("oneway methods are not supported");
            var returnType = Type();
            var method = Identifier();
            Expect("(");
            var args = new List<IdlField>();
            while (!TrySymbol(")")) args.Add(Field());
            if (Peek.Kind == TokenKind.Identifier && Peek.Text == "throws") throw Error("throws clauses are not supported");
            Annotations();
            SkipSeparator();
            methods.Add(new IdlMethod(method, returnType, args));
        }
        Annotations();
        return new IdlService(name, methods);
    }
}
