using BenchmarkDotNet.Running;

namespace Gateway.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project benchmarks -- --filter '*'   (see docs/performance.md)
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
