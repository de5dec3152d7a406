using Gateway.Protocol.Hive.Generator;

namespace Gateway.Tests.Unit;

public class HiveGeneratorUnitTests
{
    private static string Root => HiveCodeGenerator.FindRepositoryRoot(AppContext.BaseDirectory);

    [Fact]
    public void CommittedGeneratedCodeMatchesTheIdl()
    {
        var idl = File.ReadAllText(Path.Combine(Root, HiveCodeGenerator.IdlRelativePath));
        var committed = File.ReadAllText(Path.Combine(Root, HiveCodeGenerator.OutputRelativePath)).ReplaceLineEndings("\n");
        var fresh = HiveCodeGenerator.Generate(idl);
        // On failure: dotnet run --project protocol/Hive/Generator
        Assert.True(committed == fresh, "protocol/Hive/Generated/TCLIService.g.cs is stale: run `dotnet run --project protocol/Hive/Generator`.");
    }

    [Fact]
    public void ParserReadsTheSubsetWeUse()
    {
        var doc = IdlParser.Parse("""
            namespace cs Demo.Api
            # hash comment
            /* block
               comment */
            enum Color { RED, GREEN = 5, BLUE }
            typedef i32 Ptr
            const string NAME = "x"
            struct S {
              1: required Ptr p = 3,
              0x501: optional map<string, list<Color>> m;
              3: binary b (some.annotation = "v")
            } (cs.handwritten = "true")
            union U { 1: S s 2: string t }
            service Svc { S Get(1: S req); }
            """);
        Assert.Equal("Demo.Api", doc.CSharpNamespace);
        Assert.Equal([("RED", 0L), ("GREEN", 5L), ("BLUE", 6L)], doc.Enums[0].Members);
        var s = doc.Structs[0];
        Assert.True(s.HandWritten);
        Assert.Equal([(short)1, (short)1281, (short)3], s.Fields.Select(f => f.Id));
        Assert.Equal(Requiredness.Required, s.Fields[0].Requiredness);
        Assert.Equal("3", s.Fields[0].DefaultValue);
        Assert.Equal(Requiredness.Default, s.Fields[2].Requiredness);
        Assert.Equal(StructKind.Union, doc.Structs[1].Kind);
        Assert.Equal("Get", doc.Services[0].Methods[0].Name);
    }

    [Fact]
    public void ParserRejectsWhatItDoesNotSupport()
    {
        Assert.Throws<FormatException>(() => IdlParser.Parse("struct S { 1: i32 a 1: i32 b }"));
        Assert.Throws<FormatException>(() => IdlParser.Parse("struct S { i32 a }"));
        Assert.Throws<FormatException>(() => IdlParser.Parse("senum X { }"));
        Assert.Throws<FormatException>(() => HiveCodeGenerator.Generate("struct S { 1: Missing a }"));
    }

    [Fact]
    public void PascalCaseNames()
    {
        Assert.Equal("ClientProtocol", CSharpEmitter.Pascal("client_protocol"));
        Assert.Equal("ClientProtocolI64", CSharpEmitter.Pascal("client_protocol_i64"));
        Assert.Equal("GetDirectResults", CSharpEmitter.Pascal("getDirectResults"));
        Assert.Equal("I32Value", CSharpEmitter.Pascal("i32Value"));
    }
}
