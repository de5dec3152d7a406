using System.CommandLine;
using Gateway.Server.Cli;

namespace Gateway.Server;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("A HiveServer2-compatible SQL gateway: one endpoint for Beeline, DBeaver, PyHive, dbt and BI tools, over embedded DuckDB by default.")
        {
            ServeCommand.Create(),
            SqlCommand.Create(),
            UserCommand.Create(),
        };
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
