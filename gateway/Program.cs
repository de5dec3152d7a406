namespace Gateway.Server;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("gateway: not yet wired");
        return args.Length;
    }
}
