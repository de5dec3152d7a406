using Npgsql;

namespace Gateway.Tests.Engines;

/// <summary>
/// A Hive Metastore's backing tables in a PostgreSQL schema of the test server: the tables and columns Hive 3's
/// schema script (hive-schema-3.1.0.postgres.sql) creates that the metastore catalog reads, with the catalog
/// <c>hive</c>. Tests fill databases, tables and parameters as Hive and Spark would.
/// </summary>
public static class HiveMetastoreTestSchema
{
    /// <summary>Creates the schema and its empty metastore tables; returns a connection string whose search path is it.</summary>
    public static async Task<string> CreateAsync(string schema)
    {
        await PostgresTestServer.ExecuteAsync($"""
            CREATE SCHEMA {schema};
            SET search_path = {schema};
            CREATE TABLE "CTLGS" ("CTLG_ID" bigint PRIMARY KEY, "NAME" varchar(256) UNIQUE, "DESC" varchar(4000), "LOCATION_URI" varchar(4000) NOT NULL);
            CREATE TABLE "DBS" ("DB_ID" bigint PRIMARY KEY, "DESC" varchar(4000), "DB_LOCATION_URI" varchar(4000) NOT NULL, "NAME" varchar(128), "OWNER_NAME" varchar(128), "OWNER_TYPE" varchar(10), "CTLG_NAME" varchar(256) NOT NULL DEFAULT 'hive');
            CREATE TABLE "SDS" ("SD_ID" bigint PRIMARY KEY, "CD_ID" bigint, "INPUT_FORMAT" varchar(4000), "IS_COMPRESSED" boolean NOT NULL, "LOCATION" varchar(4000), "NUM_BUCKETS" bigint NOT NULL, "OUTPUT_FORMAT" varchar(4000), "SERDE_ID" bigint, "IS_STOREDASSUBDIRECTORIES" boolean NOT NULL);
            CREATE TABLE "TBLS" ("TBL_ID" bigint PRIMARY KEY, "CREATE_TIME" bigint NOT NULL, "DB_ID" bigint REFERENCES "DBS", "LAST_ACCESS_TIME" bigint NOT NULL, "OWNER" varchar(767), "OWNER_TYPE" varchar(10), "RETENTION" bigint NOT NULL, "SD_ID" bigint REFERENCES "SDS", "TBL_NAME" varchar(256), "TBL_TYPE" varchar(128), "VIEW_EXPANDED_TEXT" text, "VIEW_ORIGINAL_TEXT" text, "IS_REWRITE_ENABLED" boolean NOT NULL DEFAULT false);
            CREATE TABLE "TABLE_PARAMS" ("TBL_ID" bigint NOT NULL REFERENCES "TBLS", "PARAM_KEY" varchar(256) NOT NULL, "PARAM_VALUE" text, PRIMARY KEY ("TBL_ID", "PARAM_KEY"));
            CREATE TABLE "PARTITIONS" ("PART_ID" bigint PRIMARY KEY, "CREATE_TIME" bigint NOT NULL, "LAST_ACCESS_TIME" bigint NOT NULL, "PART_NAME" varchar(767), "SD_ID" bigint REFERENCES "SDS", "TBL_ID" bigint REFERENCES "TBLS");
            CREATE TABLE "CDS" ("CD_ID" bigint PRIMARY KEY);
            CREATE TABLE "COLUMNS_V2" ("CD_ID" bigint NOT NULL REFERENCES "CDS", "COMMENT" varchar(4000), "COLUMN_NAME" varchar(767) NOT NULL, "TYPE_NAME" text, "INTEGER_IDX" integer NOT NULL, PRIMARY KEY ("CD_ID", "COLUMN_NAME"));
            CREATE TABLE "PARTITION_KEYS" ("TBL_ID" bigint NOT NULL REFERENCES "TBLS", "PKEY_COMMENT" varchar(4000), "PKEY_NAME" varchar(128) NOT NULL, "PKEY_TYPE" varchar(767) NOT NULL, "INTEGER_IDX" bigint NOT NULL, PRIMARY KEY ("TBL_ID", "PKEY_NAME"));
            CREATE TABLE "PARTITION_PARAMS" ("PART_ID" bigint NOT NULL REFERENCES "PARTITIONS", "PARAM_KEY" varchar(256) NOT NULL, "PARAM_VALUE" varchar(4000), PRIMARY KEY ("PART_ID", "PARAM_KEY"));
            INSERT INTO "CTLGS" VALUES (1, 'hive', 'Default catalog', 'file:/warehouse');
            """);
        return new NpgsqlConnectionStringBuilder(PostgresTestServer.ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>Registers an unpartitioned managed table in database <paramref name="database"/> (created when new) with Hive's statistics parameters.</summary>
    public static async Task AddTableAsync(string schema, string database, string table, long rows, long totalSize, long files)
    {
        await PostgresTestServer.ExecuteAsync($"""
            SET search_path = {schema};
            INSERT INTO "DBS" SELECT (SELECT coalesce(max("DB_ID"), 0) + 1 FROM "DBS"), NULL, 'file:/warehouse/{database}.db', '{database}', 'hive', 'USER', 'hive'
              WHERE NOT EXISTS (SELECT 1 FROM "DBS" WHERE "NAME" = '{database}');
            INSERT INTO "SDS" SELECT coalesce(max("SD_ID"), 0) + 1, NULL, 'parquet', false, 'file:/warehouse/{table}', -1, 'parquet', NULL, false FROM "SDS";
            INSERT INTO "TBLS" SELECT coalesce(max("TBL_ID"), 0) + 1, 1700000000, (SELECT "DB_ID" FROM "DBS" WHERE "NAME" = '{database}'), 0, 'etl', 'USER', 0,
              (SELECT max("SD_ID") FROM "SDS"), '{table}', 'MANAGED_TABLE', NULL, NULL, false FROM "TBLS";
            INSERT INTO "TABLE_PARAMS" SELECT max("TBL_ID"), k, v FROM "TBLS",
              (VALUES ('numRows', '{rows}'), ('totalSize', '{totalSize}'), ('numFiles', '{files}')) AS p(k, v) GROUP BY k, v;
            """);
    }

    public static async Task DropAsync(string schema)
    {
        await PostgresTestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE;");
        NpgsqlConnection.ClearAllPools();
    }
}
