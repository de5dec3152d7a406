namespace Gateway.Protocol.Hive.Generator;

public static class HiveCodeGenerator
{
    public const string IdlRelativePath = "protocol/Hive/Idl/TCLIService.thrift";
    public const string OutputRelativePath = "protocol/Hive/Generated/TCLIService.g.cs";

    /// <summary>IDL text in, C# source out ("\n" line ends, deterministic).</summary>
    public static string Generate(string idlText) => CSharpEmitter.Emit(IdlParser.Parse(idlText));

    /// <summary>The nearest directory at or above <paramref name="start"/> holding Gateway.sln.</summary>
    public static string FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No Gateway.sln at or above {start}.");
    }
}
