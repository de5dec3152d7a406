using Gateway.Protocol.Sql;
using Gateway.Router;
using Gateway.Router.Sql;

namespace Gateway.Tests.Unit.Router;

/// <summary>
/// Real-world shaped statements with what the analyzer must find. Reads and writes are compared as sets;
/// non-table references are written "fn:name('arg')", "path:'p'" / "path:fmt.`p`" and "schema:a.b".
/// </summary>
public static class StatementCorpus
{
    public sealed record Case(string Id, SqlDialect Dialect, string Sql, StatementKind Kind, string[] Reads, string[] Writes, bool Reliable = true);

    private static readonly SqlDialect Spark = SqlDialect.Spark;
    private static readonly SqlDialect Hive = SqlDialect.Hive;
    private static readonly SqlDialect Trino = SqlDialect.Trino;
    private static readonly SqlDialect Flink = SqlDialect.Flink;
    private static readonly SqlDialect Ansi = SqlDialect.Ansi;
    private static readonly SqlDialect DuckDb = SqlDialect.DuckDb;

    public static readonly IReadOnlyList<Case> Cases =
    [
        // ---- TPC-DS-like analytics ----
        new("tpcds-returns-cte", Spark, """
            with customer_total_return as
             (select sr_customer_sk as ctr_customer_sk, sr_store_sk as ctr_store_sk, sum(sr_fee) as ctr_total_return
              from store_returns, date_dim
              where sr_returned_date_sk = d_date_sk and d_year = 2000
              group by sr_customer_sk, sr_store_sk)
            select c_customer_id
            from customer_total_return ctr1, store, customer
            where ctr1.ctr_total_return > (select avg(ctr_total_return) * 1.2
                                           from customer_total_return ctr2
                                           where ctr1.ctr_store_sk = ctr2.ctr_store_sk)
              and s_store_sk = ctr1.ctr_store_sk and s_state = 'TN' and ctr1.ctr_customer_sk = c_customer_sk
            order by c_customer_id
            limit 100
            """, StatementKind.Query, ["store_returns", "date_dim", "store", "customer"], []),

        new("tpcds-cross-channel", Spark, """
            with cross_items as (
              select i_item_sk ss_item_sk from item,
               (select iss.i_brand_id brand_id, iss.i_class_id class_id
                  from store_sales, item iss, date_dim d1
                 where ss_item_sk = iss.i_item_sk and ss_sold_date_sk = d1.d_date_sk and d1.d_year between 1999 and 2001
                intersect
                select ics.i_brand_id, ics.i_class_id
                  from catalog_sales, item ics, date_dim d2
                 where cs_item_sk = ics.i_item_sk and cs_sold_date_sk = d2.d_date_sk
                intersect
                select iws.i_brand_id, iws.i_class_id
                  from web_sales, item iws, date_dim d3
                 where ws_item_sk = iws.i_item_sk and ws_sold_date_sk = d3.d_date_sk) x
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
            group by rollup (channel, i_brand_id)
            order by channel, i_brand_id
            limit 100
            """, StatementKind.Query, ["item", "store_sales", "date_dim", "catalog_sales", "web_sales"], []),

        new("tpcds-window-exists", Spark, """
            select * from (
              select i_category, i_class, i_brand, s_store_name, d_moy, sum(ss_sales_price) sum_sales,
                     avg(sum(ss_sales_price)) over (partition by i_category, i_brand, s_store_name) avg_monthly_sales,
                     rank() over (partition by i_category order by d_moy) rn
              from item, store_sales, date_dim, store
              where ss_item_sk = i_item_sk and ss_sold_date_sk = d_date_sk and ss_store_sk = s_store_sk
                and exists (select * from web_sales ws where ws.ws_item_sk = i_item_sk)
                and not exists (select 1 from catalog_returns cr where cr.cr_item_sk = i_item_sk)
              group by i_category, i_class, i_brand, s_store_name, d_moy) tmp1
            where case when avg_monthly_sales > 0 then abs(sum_sales - avg_monthly_sales) / avg_monthly_sales else null end > 0.1
            order by sum_sales - avg_monthly_sales, s_store_name
            limit 100
            """, StatementKind.Query, ["item", "store_sales", "date_dim", "store", "web_sales", "catalog_returns"], []),

        new("all-join-kinds", Spark, """
            SELECT c.c_customer_id, a.ca_city, sum(ss.ss_net_paid)
            FROM tpcds.customer c
            INNER JOIN tpcds.customer_address a ON c.c_current_addr_sk = a.ca_address_sk
            LEFT OUTER JOIN tpcds.store_sales ss ON ss.ss_customer_sk = c.c_customer_sk AND left(ss.ss_note, 2) = 'ok'
            RIGHT JOIN tpcds.household_demographics hd ON hd.hd_demo_sk = c.c_current_hdemo_sk
            FULL OUTER JOIN tpcds.income_band ib USING (ib_income_band_sk)
            CROSS JOIN tpcds.date_dim d
            LEFT SEMI JOIN tpcds.promotion p ON p.p_promo_sk = ss.ss_promo_sk
            LEFT ANTI JOIN tpcds.store_returns sr ON sr.sr_ticket_number = ss.ss_ticket_number
            NATURAL JOIN tpcds.web_site
            GROUP BY 1, 2
            """, StatementKind.Query,
            ["tpcds.customer", "tpcds.customer_address", "tpcds.store_sales", "tpcds.household_demographics", "tpcds.income_band",
             "tpcds.date_dim", "tpcds.promotion", "tpcds.store_returns", "tpcds.web_site"], []),

        new("deep-subqueries", Spark, """
            SELECT * FROM (SELECT * FROM (SELECT * FROM (
              SELECT a FROM deep.t1 WHERE a IN (SELECT b FROM deep.t2 WHERE EXISTS (SELECT 1 FROM deep.t3 WHERE c = (SELECT max(c) FROM deep.t4)))
            )) x) y
            """, StatementKind.Query, ["deep.t1", "deep.t2", "deep.t3", "deep.t4"], []),

        new("set-operations", Spark, """
            SELECT id FROM a.t1
            UNION ALL (SELECT id FROM a.t2 EXCEPT SELECT id FROM a.t3)
            INTERSECT SELECT id FROM a.t4
            MINUS SELECT id FROM a.t5
            UNION TABLE a.t6
            """, StatementKind.Query, ["a.t1", "a.t2", "a.t3", "a.t4", "a.t5", "a.t6"], []),

        new("parenthesized-union", Spark, "(SELECT a FROM p1) UNION (SELECT a FROM p2) ORDER BY a", StatementKind.Query, ["p1", "p2"], []),

        new("scalar-subquery-in-select", Spark, "SELECT (SELECT max(x) FROM s1) AS m, s2.* FROM s2", StatementKind.Query, ["s1", "s2"], []),

        // ---- CTEs ----
        new("recursive-cte", Trino, """
            WITH RECURSIVE org(id, manager_id, depth) AS (
              SELECT id, manager_id, 0 FROM hr.employees WHERE manager_id IS NULL
              UNION ALL
              SELECT e.id, e.manager_id, org.depth + 1 FROM hr.employees e JOIN org ON e.manager_id = org.id
            )
            SELECT * FROM org ORDER BY depth
            """, StatementKind.Query, ["hr.employees"], []),

        new("cte-shadows-table", Spark, """
            WITH sales AS (SELECT * FROM sales WHERE year = 2024),
                 top AS (SELECT * FROM sales ORDER BY amount DESC LIMIT 10)
            SELECT * FROM top JOIN demo.sales s2 ON top.id = s2.id
            """, StatementKind.Query, ["sales", "demo.sales"], []),

        new("cte-used-before-defined-is-a-table", Spark, """
            WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x)
            SELECT * FROM a, b
            """, StatementKind.Query, ["b"], []),

        new("cte-nested-with", Spark, """
            SELECT * FROM (WITH inner_cte AS (SELECT * FROM lake.raw) SELECT * FROM inner_cte) q JOIN inner_cte ON true
            """, StatementKind.Query, ["lake.raw", "inner_cte"], []),

        // ---- dbt-spark macros ----
        new("dbt-create-view", Spark, """
            create or replace view analytics.stg_orders

              as
                with source as (
                select * from raw.orders
            ),
            renamed as (
                select id as order_id, user_id as customer_id, order_date, status from source
            )
            select * from renamed
            """, StatementKind.Ddl, ["raw.orders"], ["analytics.stg_orders"]),

        new("dbt-create-table-as", Spark, """
            create or replace table analytics.fct_orders
                using delta
                partitioned by (order_date)
                location '/mnt/lake/fct_orders'
                comment 'orders fact: select from nowhere'
                as
                  select o.order_id, o.customer_id, p.amount
                  from analytics.stg_orders o
                  left join analytics.stg_payments p on o.order_id = p.order_id
            """, StatementKind.Ddl, ["analytics.stg_orders", "analytics.stg_payments"], ["analytics.fct_orders"]),

        new("dbt-insert-overwrite", Spark, """
            insert overwrite table analytics.fct_events
                partition (event_date)
                select `event_id`, `user_id`, `event_date` from analytics.fct_events__dbt_tmp
            """, StatementKind.Dml, ["analytics.fct_events__dbt_tmp"], ["analytics.fct_events"]),

        new("dbt-merge", Spark, """
            merge into analytics.dim_customers as DBT_INTERNAL_DEST
                using analytics.dim_customers__dbt_tmp as DBT_INTERNAL_SOURCE
                on DBT_INTERNAL_SOURCE.customer_id = DBT_INTERNAL_DEST.customer_id
                when matched then update set *
                when not matched then insert *
            """, StatementKind.Dml, ["analytics.dim_customers__dbt_tmp"], ["analytics.dim_customers"]),

        new("dbt-temp-view", Spark, """
            create temporary view fct_events__dbt_tmp as
                select * from raw.events where event_date >= date_sub(current_date(), 3)
            """, StatementKind.Ddl, ["raw.events"], ["fct_events__dbt_tmp"]),

        new("dbt-describe", Spark, "describe extended analytics.fct_orders", StatementKind.Metadata, ["analytics.fct_orders"], []),
        new("dbt-show-table-extended", Spark, "show table extended in analytics like '*'", StatementKind.Metadata, ["schema:analytics"], []),

        // ---- MERGE / UPDATE / DELETE ----
        new("merge-subquery-source", Spark, """
            MERGE INTO lake.sales.customers t
            USING (SELECT id, name, max(updated_at) AS updated_at FROM staging.customer_updates GROUP BY id, name) s
            ON t.id = s.id
            WHEN MATCHED AND s.updated_at > t.updated_at THEN UPDATE SET name = s.name
            WHEN MATCHED AND s.id IN (SELECT id FROM staging.deleted_customers) THEN DELETE
            WHEN NOT MATCHED THEN INSERT (id, name, updated_at) VALUES (s.id, s.name, s.updated_at)
            """, StatementKind.Dml, ["staging.customer_updates", "staging.deleted_customers"], ["lake.sales.customers"]),

        new("update-with-subqueries", Spark, """
            UPDATE lake.db.accounts SET balance = balance - (SELECT sum(amount) FROM lake.db.pending p WHERE p.account_id = accounts.id)
            WHERE id IN (SELECT account_id FROM lake.db.flags)
            """, StatementKind.Dml, ["lake.db.pending", "lake.db.flags"], ["lake.db.accounts"]),

        new("delete-with-subquery", Spark, """
            DELETE FROM lake.db.events WHERE event_date < date_sub(current_date(), 90)
              AND user_id IN (SELECT user_id FROM lake.db.gdpr_requests)
            """, StatementKind.Dml, ["lake.db.gdpr_requests"], ["lake.db.events"]),

        new("postgres-delete-using", Ansi, "DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.banned",
            StatementKind.Dml, ["customers"], ["orders"]),

        new("postgres-update-from", Ansi, "UPDATE inventory AS i SET qty = s.qty FROM staging_inventory s WHERE i.sku = s.sku",
            StatementKind.Dml, ["staging_inventory"], ["inventory"]),

        // ---- INSERT ----
        new("insert-with-cte", Spark, """
            WITH latest AS (SELECT * FROM raw.events WHERE ds = '2024-01-01')
            INSERT INTO TABLE curated.events SELECT * FROM latest
            """, StatementKind.Dml, ["raw.events"], ["curated.events"]),

        new("insert-values", Spark, "INSERT INTO demo.t VALUES (1, 'x'), (2, 'y')", StatementKind.Dml, [], ["demo.t"]),

        new("insert-columns-select", Spark, "INSERT INTO demo.t (a, b) SELECT x, (SELECT max(y) FROM demo.u) FROM demo.v",
            StatementKind.Dml, ["demo.u", "demo.v"], ["demo.t"]),

        new("insert-parenthesized-query", Spark, "INSERT INTO t (SELECT * FROM u)", StatementKind.Dml, ["u"], ["t"]),

        new("insert-replace-where", Spark, "INSERT INTO lake.t REPLACE WHERE ds = '2024-01-01' SELECT * FROM lake.s WHERE ds = '2024-01-01'",
            StatementKind.Dml, ["lake.s"], ["lake.t"]),

        new("hive-multi-insert", Hive, """
            FROM staging.page_views pv
            INSERT OVERWRITE TABLE reports.daily_views PARTITION (dt='2024-01-01')
              SELECT pv.page, count(*) GROUP BY pv.page
            INSERT INTO TABLE reports.user_views
              SELECT pv.user_id, count(*) WHERE pv.user_id IS NOT NULL GROUP BY pv.user_id
            """, StatementKind.Dml, ["staging.page_views"], ["reports.daily_views", "reports.user_views"]),

        new("insert-overwrite-directory", Hive, "INSERT OVERWRITE LOCAL DIRECTORY '/tmp/out' STORED AS PARQUET SELECT * FROM demo.sales",
            StatementKind.Dml, ["demo.sales"], ["path:'/tmp/out'"]),

        new("strings-with-sql", Spark, """
            INSERT INTO audit.log (stmt, note) VALUES
              ('SELECT * FROM payroll JOIN salaries', 'it''s a \'quoted\' FROM x'),
              ("DELETE FROM t", r'C:\path FROM z')
            """, StatementKind.Dml, [], ["audit.log"]),

        new("flink-statement-set", Flink, """
            EXECUTE STATEMENT SET BEGIN
            INSERT INTO sink_a SELECT * FROM src WHERE x > 0;
            INSERT INTO sink_b SELECT * FROM src WHERE x <= 0;
            END;
            """, StatementKind.Dml, ["src"], ["sink_a", "sink_b"]),

        // ---- BI tools ----
        new("superset-hive", Spark, """
            SELECT `country` AS `country`, count(*) AS `count`, sum(`revenue`) AS `SUM(revenue)`
            FROM `sales_db`.`orders`
            WHERE `order_date` >= '2024-01-01 00:00:00' AND `order_date` < '2024-02-01 00:00:00'
            GROUP BY `country`
            ORDER BY `count` DESC
            LIMIT 10000
            """, StatementKind.Query, ["sales_db.orders"], []),

        new("superset-trino-virtual-dataset", Trino, """
            SELECT "product_line" AS "product_line", SUM("sales") AS "SUM(sales)"
            FROM (SELECT * FROM "hive"."sales"."Cleaned_Sales" WHERE "status" = 'Shipped') AS "virtual_table"
            GROUP BY "product_line"
            LIMIT 10000
            """, StatementKind.Query, ["hive.sales.cleaned_sales"], []),

        new("tableau-custom-sql", Spark, """
            SELECT `Custom SQL Query`.`region` AS `region`,
              SUM(`Custom SQL Query`.`amount`) AS `sum:amount:ok`
            FROM (
              SELECT r.name AS region, s.amount FROM demo.sales s JOIN demo.stores st ON s.store_id = st.id JOIN demo.regions r ON st.region_id = r.id
            ) `Custom SQL Query`
            GROUP BY `Custom SQL Query`.`region`
            HAVING (COUNT(1) > 0)
            """, StatementKind.Query, ["demo.sales", "demo.stores", "demo.regions"], []),

        new("tableau-trino-top-n", Trino, """
            SELECT "t0"."customer_name" AS "customer_name"
            FROM "iceberg"."crm"."customers" "t0"
              INNER JOIN (
                SELECT "customers"."customer_id" AS "customer_id", SUM("orders"."total") AS "$__alias__0"
                FROM "iceberg"."crm"."customers" "customers"
                  INNER JOIN "iceberg"."crm"."Orders" "orders" ON ("customers"."customer_id" = "orders"."customer_id")
                GROUP BY 1
                ORDER BY 2 DESC
                LIMIT 10
              ) "t1" ON ("t0"."customer_id" = "t1"."customer_id")
            """, StatementKind.Query, ["iceberg.crm.customers", "iceberg.crm.orders"], []),

        // ---- Trino ----
        new("trino-unnest", Trino, "SELECT o.orderkey, t.tag FROM tpch.sf1.orders o CROSS JOIN UNNEST(o.tags) WITH ORDINALITY AS t(tag, n) WHERE o.orderdate > DATE '1995-01-01'",
            StatementKind.Query, ["tpch.sf1.orders"], []),

        new("trino-functions-with-from", Trino, """
            SELECT EXTRACT(YEAR FROM order_date), TRIM(BOTH ' ' FROM name), trim(FROM name), SUBSTRING(code FROM 2 FOR 3), position('x' IN name)
            FROM shop.orders
            WHERE a IS DISTINCT FROM b AND c IS NOT DISTINCT FROM d
            """, StatementKind.Query, ["shop.orders"], []),

        new("trino-time-travel", Trino, """
            SELECT * FROM lake.db.events FOR VERSION AS OF 12 e
            JOIN lake.db.users FOR TIMESTAMP AS OF TIMESTAMP '2024-01-01 00:00:00 UTC' u ON e.uid = u.id, lake.db.extra
            """, StatementKind.Query, ["lake.db.events", "lake.db.users", "lake.db.extra"], []),

        new("trino-lateral", Trino, "SELECT x FROM t1 AS a (c1, c2) CROSS JOIN LATERAL (SELECT * FROM t2 WHERE t2.k = a.c1) l",
            StatementKind.Query, ["t1", "t2"], []),

        new("trino-table-function", Trino, "SELECT * FROM TABLE(system.sequence(start => 1, stop => 10))",
            StatementKind.Query, ["fn:system.sequence('1', '10')"], []),

        new("trino-ctas", Trino, """
            CREATE TABLE iceberg.analytics.daily WITH (format = 'PARQUET', partitioning = ARRAY['day'])
            AS SELECT day, count(*) c FROM hive.web.requests GROUP BY day
            """, StatementKind.Ddl, ["hive.web.requests"], ["iceberg.analytics.daily"]),

        new("trino-show-stats", Trino, "SHOW STATS FOR hive.web.requests", StatementKind.Metadata, ["hive.web.requests"], []),
        new("trino-show-columns", Trino, "SHOW COLUMNS FROM hive.sales.orders", StatementKind.Metadata, ["hive.sales.orders"], []),
        new("trino-explain", Trino, "EXPLAIN (TYPE DISTRIBUTED, FORMAT TEXT) SELECT count(*) FROM tpch.tiny.lineitem",
            StatementKind.Query, ["tpch.tiny.lineitem"], []),

        // ---- Spark specifics ----
        new("lateral-view-explode", Spark, """
            SELECT u.user_id, tag, pos, item
            FROM warehouse.users u JOIN warehouse.segments s ON s.user_id = u.user_id
            LATERAL VIEW explode(u.tags) t AS tag
            LATERAL VIEW OUTER posexplode(u.items) p AS pos, item
            WHERE tag <> 'x'
            """, StatementKind.Query, ["warehouse.users", "warehouse.segments"], []),

        new("values-as-table", Spark, "SELECT * FROM VALUES (1, 'a'), (2, 'b') AS t(id, name) JOIN dim.names n ON n.id = t.id",
            StatementKind.Query, ["dim.names"], []),

        new("values-subquery", Spark, "SELECT * FROM (VALUES (1), (2)) AS v(x)", StatementKind.Query, [], []),

        new("window-functions", Spark, """
            SELECT user_id, event_time,
              lag(event_time) OVER w AS prev_time,
              sum(amount) OVER (PARTITION BY user_id ORDER BY event_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
            FROM events.clicks
            WINDOW w AS (PARTITION BY user_id ORDER BY event_time)
            QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY event_time DESC) = 1
            """, StatementKind.Query, ["events.clicks"], []),

        new("spark-time-travel", Spark, "SELECT * FROM delta_tbl VERSION AS OF 3, other_tbl TIMESTAMP AS OF current_timestamp() - INTERVAL 1 DAYS, third",
            StatementKind.Query, ["delta_tbl", "other_tbl", "third"], []),

        new("tablesample", Spark, "SELECT * FROM big.events TABLESAMPLE (10 PERCENT) e, big.users u WHERE e.uid = u.id",
            StatementKind.Query, ["big.events", "big.users"], []),

        new("pivot", Spark, "SELECT * FROM (SELECT year, quarter, sales FROM fin.quarterly) PIVOT (sum(sales) FOR quarter IN ('Q1', 'Q2')) AS p",
            StatementKind.Query, ["fin.quarterly"], []),

        new("spark-file-source", Spark, "SELECT * FROM parquet.`s3a://lake/raw/trips` t JOIN range(100) r ON t.id = r.id",
            StatementKind.Query, ["path:parquet.`s3a://lake/raw/trips`", "fn:range('100')"], []),

        new("spark-pipe-syntax", Spark, "FROM demo.sales |> WHERE amount > 10 |> JOIN demo.stores ON sales.store_id = stores.id |> AGGREGATE sum(amount) GROUP BY channel",
            StatementKind.Query, ["demo.sales", "demo.stores"], []),

        new("select-star-except", Spark, "SELECT * EXCEPT (secret) FROM hr.people", StatementKind.Query, ["hr.people"], []),

        new("hive-double-quoted-string", Hive, "SELECT \"FROM fake JOIN x\" AS s, count(*) FROM real_table WHERE channel = \"web\"",
            StatementKind.Query, ["real_table"], []),

        new("backslash-escaped-quote", Spark, "SELECT * FROM t WHERE a = 'it\\'s FROM x JOIN y'", StatementKind.Query, ["t"], []),

        new("digit-leading-table", Spark, "SELECT * FROM 2024_sales JOIN db.1st_quarter q ON true", StatementKind.Query, ["2024_sales", "db.1st_quarter"], []),

        new("comments-with-keywords", Spark, """
            -- FROM secret_table JOIN other_table
            SELECT a /* , b FROM hidden JOIN x */ FROM visible_table -- JOIN trailing_table
            WHERE note = 'see FROM tables' /* nested /* inner FROM a */ still comment FROM nope */
            """, StatementKind.Query, ["visible_table"], []),

        new("spark-cache-table", Spark, "CACHE TABLE hot AS SELECT * FROM demo.sales WHERE amount > 100",
            StatementKind.SessionCommand, ["demo.sales"], ["hot"]),

        new("create-table-like", Spark, "CREATE TABLE IF NOT EXISTS staging.orders_copy LIKE prod.orders",
            StatementKind.Ddl, ["prod.orders"], ["staging.orders_copy"]),

        new("create-view-clauses", Spark, """
            CREATE OR REPLACE VIEW reports.v (id COMMENT 'the id', total) COMMENT 'totals' TBLPROPERTIES ('a' = 'b')
            AS SELECT id, sum(x) FROM reports.facts GROUP BY id
            """, StatementKind.Ddl, ["reports.facts"], ["reports.v"]),

        new("create-table-columns", Spark, "CREATE TABLE lake.t (id BIGINT, name STRING COMMENT 'from the crm') USING iceberg PARTITIONED BY (days(ts))",
            StatementKind.Ddl, [], ["lake.t"]),

        new("drop-tables", Trino, "DROP TABLE IF EXISTS tmp.a", StatementKind.Ddl, [], ["tmp.a"]),
        new("alter-rename", Spark, "ALTER TABLE demo.sales RENAME TO demo.sales_old", StatementKind.Ddl, [], ["demo.sales", "demo.sales_old"]),
        new("alter-add-columns", Spark, "ALTER TABLE lake.t ADD COLUMNS (c INT COMMENT 'x')", StatementKind.Ddl, [], ["lake.t"]),
        new("truncate", Spark, "TRUNCATE TABLE staging.x", StatementKind.Ddl, [], ["staging.x"]),
        new("create-database", Spark, "CREATE DATABASE IF NOT EXISTS analytics COMMENT 'marts'", StatementKind.Ddl, [], ["schema:analytics"]),
        new("create-schema-qualified", Trino, "CREATE SCHEMA lake.analytics", StatementKind.Ddl, [], ["schema:lake.analytics"]),
        new("load-data", Hive, "LOAD DATA LOCAL INPATH '/tmp/sales.csv' OVERWRITE INTO TABLE demo.sales_raw",
            StatementKind.Dml, ["path:'/tmp/sales.csv'"], ["demo.sales_raw"]),
        new("msck", Hive, "MSCK REPAIR TABLE web.logs", StatementKind.Ddl, [], ["web.logs"]),
        new("analyze", Spark, "ANALYZE TABLE web.logs COMPUTE STATISTICS FOR ALL COLUMNS", StatementKind.Ddl, [], ["web.logs"]),
        new("optimize", Spark, "OPTIMIZE lake.events ZORDER BY (user_id)", StatementKind.Dml, [], ["lake.events"]),

        // ---- metadata ----
        new("show-tables-in", Spark, "SHOW TABLES IN sales_db LIKE 'ord*'", StatementKind.Metadata, ["schema:sales_db"], []),
        new("show-databases", Spark, "SHOW DATABASES", StatementKind.Metadata, [], []),
        new("show-columns-in-db", Spark, "SHOW COLUMNS IN orders IN sales_db", StatementKind.Metadata, ["sales_db.orders"], []),
        new("show-create-table", Spark, "SHOW CREATE TABLE analytics.fct_orders", StatementKind.Metadata, ["analytics.fct_orders"], []),
        new("show-partitions", Spark, "SHOW PARTITIONS analytics.fct_events", StatementKind.Metadata, ["analytics.fct_events"], []),
        new("desc-formatted", Spark, "DESC FORMATTED `Db`.`Tbl`", StatementKind.Metadata, ["db.tbl"], []),
        new("describe-database", Spark, "DESCRIBE DATABASE EXTENDED analytics", StatementKind.Metadata, ["schema:analytics"], []),
        new("describe-query", Spark, "DESCRIBE QUERY SELECT * FROM demo.sales", StatementKind.Metadata, ["demo.sales"], []),
        new("table-statement", Spark, "TABLE demo.sales", StatementKind.Query, ["demo.sales"], []),

        // ---- session commands ----
        new("set-conf", Spark, "SET spark.sql.shuffle.partitions=200", StatementKind.SessionCommand, [], []),
        new("use", Spark, "USE analytics", StatementKind.SessionCommand, [], []),
        new("add-jar", Spark, "ADD JAR /tmp/udf.jar", StatementKind.SessionCommand, [], []),
        new("delete-jar", Hive, "DELETE JAR /tmp/udf.jar", StatementKind.SessionCommand, [], []),
        new("reset", Spark, "RESET", StatementKind.SessionCommand, [], []),

        // ---- ANSI / DuckDB / Flink ----
        new("ansi-quoted-case", Ansi, "SELECT * FROM \"Public\".\"MyTable\" JOIN Other ON true", StatementKind.Query, ["Public.MyTable", "other"], []),
        new("ansi-escape-and-dollar-strings", Ansi, "SELECT E'it\\'s FROM x', $$ FROM fake $$, $q$ JOIN fake2 $q$ FROM pg_t", StatementKind.Query, ["pg_t"], []),
        new("ansi-select-into", Ansi, "SELECT * INTO TEMP recent FROM orders WHERE created > now() - interval '1 day'", StatementKind.Ddl, ["orders"], ["recent"]),
        new("duckdb-read-parquet", DuckDb, "SELECT * FROM read_parquet('s3://lake/events/*.parquet') e JOIN range(10) r ON true",
            StatementKind.Query, ["fn:read_parquet('s3://lake/events/*.parquet')", "fn:range('10')"], []),
        new("duckdb-read-parquet-list", DuckDb, "SELECT count(*) FROM read_parquet(['a.parquet', 'b.parquet'], hive_partitioning = true)",
            StatementKind.Query, ["fn:read_parquet('a.parquet', 'b.parquet')"], []),
        new("duckdb-path", DuckDb, "SELECT * FROM 'data/trips.parquet' LIMIT 5", StatementKind.Query, ["path:'data/trips.parquet'"], []),
        new("duckdb-copy-to", DuckDb, "COPY (SELECT * FROM sales WHERE year = 2024) TO 'out/sales_2024.parquet' (FORMAT PARQUET)",
            StatementKind.Dml, ["sales"], ["path:'out/sales_2024.parquet'"]),
        new("flink-case-preserved", Flink, "SELECT * FROM MyCatalog.MyDb.Orders", StatementKind.Query, ["MyCatalog.MyDb.Orders"], []),
        new("flink-windowing-tvf", Flink, "SELECT window_start, count(*) FROM TABLE(TUMBLE(TABLE Bids, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)) GROUP BY window_start",
            StatementKind.Query, ["fn:TUMBLE()", "Bids"], []),

        // ---- streaming ----
        new("flink-kafka-table", Flink, """
            CREATE TABLE orders_src (
              id BIGINT, amount DOUBLE, ts TIMESTAMP(3),
              WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
            ) WITH ('connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = 'kafka:9092', 'format' = 'json')
            """, StatementKind.Streaming, [], ["orders_src"]),
        new("flink-filesystem-table-is-not-streaming", Flink, "CREATE TABLE archive (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 's3://a/b')",
            StatementKind.Ddl, [], ["archive"]),
        new("ksql-create-stream", Spark, "CREATE STREAM pageviews (viewtime BIGINT, userid VARCHAR) WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON')",
            StatementKind.Streaming, [], ["pageviews"]),
        new("ksql-emit-changes", Spark, "SELECT userid, COUNT(*) FROM pageviews WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY userid EMIT CHANGES",
            StatementKind.Streaming, ["pageviews"], []),
        new("streaming-hint", Spark, "SELECT /*+ STREAMING */ * FROM events", StatementKind.Streaming, ["events"], []),
        new("calcite-select-stream", Flink, "SELECT STREAM rowtime, productId FROM Orders", StatementKind.Streaming, ["Orders"], []),

        // ---- EXPLAIN ----
        new("explain-extended", Spark, "EXPLAIN EXTENDED SELECT * FROM demo.sales WHERE amount > 10", StatementKind.Query, ["demo.sales"], []),
        new("explain-insert", Spark, "EXPLAIN INSERT INTO demo.t SELECT * FROM demo.s", StatementKind.Dml, ["demo.s"], ["demo.t"]),

        // ---- what cannot be known ----
        new("hive-variable", Hive, "SELECT * FROM ${hivevar:db}.orders", StatementKind.Query, ["${hivevar:db}.orders"], [], Reliable: false),
        new("two-statements", Spark, "SELECT 1; SELECT * FROM t", StatementKind.Query, ["t"], [], Reliable: false),
        new("unknown-statement", Spark, "FROBNICATE the_table", StatementKind.Unknown, [], [], Reliable: false),
        new("empty", Spark, "  -- only a comment\n", StatementKind.Unknown, [], [], Reliable: false),
        new("call-procedure", Spark, "CALL lake.system.rewrite_data_files(table => 'db.sample')", StatementKind.Dml, [], [], Reliable: false),
        new("unterminated-string", Spark, "SELECT * FROM t WHERE a = 'oops", StatementKind.Query, ["t"], [], Reliable: false),
        new("unbalanced-parens", Spark, "SELECT * FROM (SELECT * FROM t", StatementKind.Query, ["t"], [], Reliable: false),
    ];

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add(c.Id);
        return data;
    }

    public static Case Get(string id) => Cases.Single(c => c.Id == id);

    public static string Describe(TableReference r) => r.Kind switch
    {
        TableReferenceKind.Table => r.ToString(),
        TableReferenceKind.Schema => "schema:" + r,
        TableReferenceKind.Function => "fn:" + r,
        _ => "path:" + r,
    };
}
