using Gateway.Protocol.Hive.Generator;

// Usage (from the repository root):
//   dotnet run --project protocol/Hive/Generator                 regenerate Generated/TCLIService.g.cs
//   dotnet run --project protocol/Hive/Generator -- --check      exit 1 if the committed file is stale
//   dotnet run --project protocol/Hive/Generator -- <idl> <out>  explicit paths
var check = args.Contains("--check");
var paths = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var root = HiveCodeGenerator.FindRepositoryRoot(Environment.CurrentDirectory);
var idlPath = paths.Length > 0 ? paths[0] : Path.Combine(root, HiveCodeGenerator.IdlRelativePath);
var outPath = paths.Length > 1 ? paths[1] : Path.Combine(root, HiveCodeGenerator.OutputRelativePath);

var generated = HiveCodeGenerator.Generate(File.ReadAllText(idlPath));
if (check)
{
    var current = File.Exists(outPath) ? File.ReadAllText(outPath).ReplaceLineEndings("\n") : "";
    if (current == generated)
    {
        Console.WriteLine($"{outPath} is up to date.");
        return 0;
    }
    Console.Error.WriteLine($"{outPath} is stale: run `dotnet run --project protocol/Hive/Generator`.");
    return 1;
}
File.WriteAllText(outPath, generated);
Console.WriteLine($"Wrote {outPath} ({generated.Length} chars).");
return 0;
