namespace Gateway.Engines.DuckDb;

/// <summary>
/// The demo schema a fresh gateway starts with: a star schema (demo.sales with 1,000,000 rows and its
/// customers, products and stores dimensions) and demo.all_types, one column per DuckDB type the
/// adapter converts. Generated deterministically by SQL (arithmetic on range(), no randomness), in one
/// transaction: either the whole schema exists or none of it does.
/// </summary>
public static class DemoData
{
    public const string Schema = "demo";
    public const long SalesRows = 1_000_000;
    public const int Customers = 10_000;
    public const int Products = 1_000;
    public const int Stores = 50;

    /// <summary>Creates the demo schema unless it exists. Returns true when it was created now.</summary>
    public static async Task<bool> EnsureAsync(DuckDbEngine engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (await ExistsAsync(engine, cancellationToken).ConfigureAwait(false)) return false;
        try
        {
            // Closing the session rolls back a script that failed half-way.
            await using var session = await engine.OpenDuckDbSessionAsync(new EngineSessionOptions("demo-data"), cancellationToken).ConfigureAwait(false);
            await using var result = await session.ExecuteNativeAsync(Script, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (EngineException)
        {
            // Another caller may have created it meanwhile (our transaction then lost the race).
            if (await ExistsAsync(engine, cancellationToken).ConfigureAwait(false)) return false;
            throw;
        }
    }

    public static async Task<bool> ExistsAsync(DuckDbEngine engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        await using var session = await engine.OpenDuckDbSessionAsync(new EngineSessionOptions("demo-data"), cancellationToken).ConfigureAwait(false);
        await using var result = await session.ExecuteNativeAsync(
            $"SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = '{Schema}'",
            cancellationToken).ConfigureAwait(false);
        using var batch = await result.ReadBatchAsync(1, cancellationToken).ConfigureAwait(false);
        return batch is not null && ColumnValues.Get(batch.Columns[0], 0) is long n && n > 0;
    }

    // Pseudo-random but deterministic: multiplicative hashing of the row number modulo the range.
    private const string Script = """
        BEGIN TRANSACTION;
        CREATE SCHEMA demo;

        CREATE TABLE demo.stores (
            store_id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            city VARCHAR NOT NULL,
            region VARCHAR NOT NULL,
            opened DATE NOT NULL);
        INSERT INTO demo.stores
        SELECT i, 'Store ' || i,
               (['Berlin', 'Paris', 'Madrid', 'Rome', 'Vienna', 'Warsaw', 'Lisbon', 'Prague', 'Dublin', 'Oslo'])[1 + i % 10],
               (['North', 'South', 'East', 'West'])[1 + i % 4],
               DATE '2010-01-01' + (i * 37)::INTEGER
        FROM range(1, 51) t(i);

        CREATE TABLE demo.customers (
            customer_id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            email VARCHAR NOT NULL,
            country VARCHAR NOT NULL,
            segment VARCHAR NOT NULL,
            signup_date DATE NOT NULL);
        INSERT INTO demo.customers
        SELECT i, 'Customer ' || i, 'customer' || i || '@example.com',
               (['DE', 'FR', 'ES', 'IT', 'AT', 'PL', 'PT', 'CZ', 'IE', 'NO'])[1 + (i * 7) % 10],
               (['consumer', 'corporate', 'home office'])[1 + (i * 13) % 3],
               DATE '2015-01-01' + ((i * 7919) % 3650)::INTEGER
        FROM range(1, 10001) t(i);

        CREATE TABLE demo.products (
            product_id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            category VARCHAR NOT NULL,
            list_price DECIMAL(10,2) NOT NULL);
        INSERT INTO demo.products
        SELECT i, 'Product ' || i,
               (['books', 'games', 'garden', 'kitchen', 'music', 'outdoor', 'sports', 'toys'])[1 + (i * 31) % 8],
               ((100 + (i * 7907) % 49900) / 100)::DECIMAL(10,2)
        FROM range(1, 1001) t(i);

        CREATE TABLE demo.sales (
            sale_id BIGINT PRIMARY KEY,
            sale_date DATE NOT NULL,
            sold_at TIMESTAMP NOT NULL,
            customer_id INTEGER NOT NULL REFERENCES demo.customers (customer_id),
            product_id INTEGER NOT NULL REFERENCES demo.products (product_id),
            store_id INTEGER NOT NULL REFERENCES demo.stores (store_id),
            quantity INTEGER NOT NULL,
            unit_price DECIMAL(10,2) NOT NULL,
            amount DECIMAL(18,2) NOT NULL,
            channel VARCHAR NOT NULL);
        INSERT INTO demo.sales
        SELECT i, sold_at::DATE, sold_at, customer_id, product_id, store_id, quantity, unit_price,
               (quantity * unit_price)::DECIMAL(18,2),
               (['online', 'store', 'phone', 'partner'])[1 + (i * 11) % 4]
        FROM (
            SELECT i,
                   TIMESTAMP '2023-01-01 00:00:00' + to_seconds((i * 2654435761) % 63072000) AS sold_at,
                   (1 + (i * 48271) % 10000)::INTEGER AS customer_id,
                   (1 + (i * 69621) % 1000)::INTEGER AS product_id,
                   (1 + (i * 40503) % 50)::INTEGER AS store_id,
                   (1 + (i * 16807) % 10)::INTEGER AS quantity,
                   ((100 + ((1 + (i * 69621) % 1000) * 7907) % 49900) / 100)::DECIMAL(10,2) AS unit_price
            FROM range(1, 1000001) t(i)
        );

        COMMENT ON TABLE demo.sales IS 'One row per sale line: 1,000,000 rows over 2023-2024';
        COMMENT ON TABLE demo.customers IS 'Customers who bought something';
        COMMENT ON TABLE demo.products IS 'Product catalogue';
        COMMENT ON TABLE demo.stores IS 'Physical stores; online sales still name the fulfilling store';
        COMMENT ON COLUMN demo.sales.sale_id IS 'Surrogate key';
        COMMENT ON COLUMN demo.sales.amount IS 'quantity * unit_price';
        COMMENT ON COLUMN demo.sales.channel IS 'online, store, phone or partner';
        COMMENT ON COLUMN demo.customers.segment IS 'consumer, corporate or home office';
        COMMENT ON COLUMN demo.products.list_price IS 'Price in EUR';
        COMMENT ON COLUMN demo.stores.region IS 'Sales region';

        CREATE TABLE demo.all_types (
            id INTEGER PRIMARY KEY,
            c_boolean BOOLEAN,
            c_tinyint TINYINT,
            c_smallint SMALLINT,
            c_integer INTEGER,
            c_bigint BIGINT,
            c_utinyint UTINYINT,
            c_usmallint USMALLINT,
            c_uinteger UINTEGER,
            c_ubigint UBIGINT,
            c_hugeint HUGEINT,
            c_uhugeint UHUGEINT,
            c_float FLOAT,
            c_double DOUBLE,
            c_decimal_4_1 DECIMAL(4,1),
            c_decimal_9_2 DECIMAL(9,2),
            c_decimal_18_4 DECIMAL(18,4),
            c_decimal_38_10 DECIMAL(38,10),
            c_varchar VARCHAR,
            c_blob BLOB,
            c_date DATE,
            c_time TIME,
            c_timetz TIMETZ,
            c_timestamp TIMESTAMP,
            c_timestamp_s TIMESTAMP_S,
            c_timestamp_ms TIMESTAMP_MS,
            c_timestamp_ns TIMESTAMP_NS,
            c_timestamptz TIMESTAMPTZ,
            c_interval INTERVAL,
            c_uuid UUID,
            c_enum ENUM('red', 'green', 'blue'),
            c_list INTEGER[],
            c_array INTEGER[3],
            c_struct STRUCT(name VARCHAR, score DOUBLE),
            c_map MAP(VARCHAR, INTEGER),
            c_union UNION(num INTEGER, txt VARCHAR),
            c_nested STRUCT(tags VARCHAR[], attrs MAP(VARCHAR, DATE)),
            c_bit BIT,
            c_bignum BIGNUM);
        INSERT INTO demo.all_types VALUES
        (1, true, -8, -16, -32, -64, 8, 16, 32, 64,
         '123456789012345678901234567890'::HUGEINT, '12345678901234567890123456789'::UHUGEINT, 1.5, 2.25,
         123.4, 1234567.89, 12345678901234.5678, '1234567890123456789012345678.0123456789'::DECIMAL(38,10),
         'hello', '\xDE\xAD\xBE\xEF'::BLOB, DATE '2024-02-29', TIME '13:45:30.123456', TIMETZ '13:45:30+02:00',
         TIMESTAMP '2024-02-29 13:45:30.123456', TIMESTAMP_S '2024-02-29 13:45:30', TIMESTAMP_MS '2024-02-29 13:45:30.123',
         TIMESTAMP_NS '2024-02-29 13:45:30.123456789', TIMESTAMPTZ '2024-02-29 13:45:30.5+00:00',
         INTERVAL '1 year 2 months 3 days 04:05:06.000007', UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'green',
         [1, NULL, 3], [7, 8, 9], {'name': 'x', 'score': 9.5}, MAP {'a': 1, 'b': NULL}, union_value(num := 42),
         {'tags': ['t1', 't2'], 'attrs': MAP {'since': DATE '2020-01-01'}}, '10110'::BIT,
         '12345678901234567890123456789012345678901234567890'::BIGNUM),
        (2, false, -128, -32768, -2147483648, -9223372036854775808, 255, 65535, 4294967295, 18446744073709551615,
         '-99999999999999999999999999999999999999'::HUGEINT, '99999999999999999999999999999999999999'::UHUGEINT, -3.5, 1e300,
         -999.9, -9999999.99, -99999999999999.9999, '-9999999999999999999999999999.9999999999'::DECIMAL(38,10),
         'longer than twelve bytes: ünïcødé ✓', ''::BLOB, DATE '1969-12-31', TIME '00:00:00', TIMETZ '23:59:59.999999-08:00',
         TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMP_S '1900-01-01 00:00:00', TIMESTAMP_MS '1969-12-31 23:59:59.999',
         TIMESTAMP_NS '1969-12-31 23:59:59.999999999', TIMESTAMPTZ '2000-01-01 00:00:00+05:00',
         INTERVAL '-1 day', UUID '00000000-0000-0000-0000-000000000000', 'blue',
         [], [0, 0, 0], {'name': NULL, 'score': NULL}, MAP {}, union_value(txt := 'text'),
         {'tags': [], 'attrs': MAP {}}, '1'::BIT, '-1'::BIGNUM),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL);
        COMMENT ON TABLE demo.all_types IS 'One column per DuckDB type the gateway converts; row 3 is all NULLs';
        COMMENT ON COLUMN demo.all_types.c_union IS 'UNION: a struct whose selected member is the non-null one';
        COMMIT;
        """;
}
