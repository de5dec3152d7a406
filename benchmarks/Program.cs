using BenchmarkDotNet.Running;
using Gateway.Benchmarks.Load;

namespace Gateway.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project benchmarks -- --filter '*'   the micro benchmarks
    // ./scripts/bench.sh [load options]                            the end-to-end load driver (docs/performance.md)
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load") return await LoadDriver.RunAsync(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
