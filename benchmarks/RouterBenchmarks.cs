using BenchmarkDotNet.Attributes;
using Gateway.Engines;
using Gateway.Protocol.Sql;
using Gateway.Router.Routing;
using Gateway.Router.Sql;

namespace Gateway.Benchmarks;

/// <summary>
/// What routing adds to every statement: analysing a BI query and a TPC-DS-like query with CTEs and nested
/// subqueries, and a full decision (analysis, statistics lookups, four engines, one rule).
/// </summary>
[MemoryDiagnoser]
public class RouterBenchmarks
{
    private const string Dashboard = """
        SELECT `country` AS `country`, count(*) AS `count`, sum(`revenue`) AS `SUM(revenue)`
        FROM `sales_db`.`orders`
        WHERE `order_date` >= '2024-01-01 00:00:00' AND `order_date` < '2024-02-01 00:00:00'
        GROUP BY `country` ORDER BY `count` DESC LIMIT 10000
        """;

    private const string Tpcds = """
        with cross_items as (
          select i_item_sk ss_item_sk from item,
           (select iss.i_brand_id brand_id, iss.i_class_id class_id from store_sales, item iss, date_dim d1
             where ss_item_sk = iss.i_item_sk and ss_sold_date_sk = d1.d_date_sk and d1.d_year between 1999 and 2001
            intersect
            select ics.i_brand_id, ics.i_class_id from catalog_sales, item ics, date_dim d2
             where cs_item_sk = ics.i_item_sk and cs_sold_date_sk = d2.d_date_sk) x
          where i_brand_id = brand_id and i_class_id = class_id),
        avg_sales as (
          select avg(quantity * list_price) average_sales
          from (select ss_quantity quantity, ss_list_price list_price from store_sales, date_dim where ss_sold_date_sk = d_date_sk
                union all
                select cs_quantity quantity, cs_list_price list_price from catalog_sales, date_dim where cs_sold_date_sk = d_date_sk) x)
        select channel, i_brand_id, sum(sales) as sum_sales
        from (select 'store' channel, i_brand_id, sum(ss_quantity * ss_list_price) sales
              from store_sales join item on ss_item_sk = i_item_sk
              where ss_item_sk in (select ss_item_sk from cross_items)
              group by i_brand_id
              having sum(ss_quantity * ss_list_price) > (select average_sales from avg_sales)) y
        group by rollup (channel, i_brand_id) order by channel, i_brand_id limit 100
        """;

    private readonly StatementRouter _router = new(new RoutingOptions
    {
        Rules = [new RoutingRule { Name = "etl", Match = new() { Users = ["svc_*"], Writes = true }, Engine = "spark" }],
    });

    private readonly RoutingContext _context = new() { DefaultEngine = "duckdb", User = "analyst", CurrentCatalog = "lake", CurrentSchema = "tpcds" };

    private readonly EngineCandidate[] _engines =
    [
        new() { Name = "duckdb", Kind = EngineKind.DuckDb, Visibility = ["lake", "local"], Cost = new() { PerQueryOverhead = TimeSpan.FromMilliseconds(5), ScanBytesPerSecond = 5e8 } },
        new() { Name = "trino", Kind = EngineKind.Trino, Visibility = ["lake"], Cost = new() { PerQueryOverhead = TimeSpan.FromMilliseconds(150), ScanBytesPerSecond = 2e9 } },
        new() { Name = "spark", Kind = EngineKind.Spark, Cost = new() { PerQueryOverhead = TimeSpan.FromSeconds(2), ScanBytesPerSecond = 5e9 } },
        new() { Name = "flink", Kind = EngineKind.Flink, Capabilities = new() { Streaming = true, Batch = false } },
    ];

    private static readonly TableStats Stats = new() { Bytes = 3_000_000_000, Rows = 30_000_000, Files = 120 };

    [Benchmark(Baseline = true)]
    public int AnalyzeDashboardQuery() => StatementAnalyzer.Analyze(Dashboard, SqlDialect.Spark).Reads.Count;

    [Benchmark]
    public int AnalyzeTpcdsQuery() => StatementAnalyzer.Analyze(Tpcds, SqlDialect.Spark).Reads.Count;

    [Benchmark]
    public string RouteTpcdsQuery() => _router.Route(Tpcds, _context, _ => Stats, _engines).Engine;
}
