{# How staging reads a contract field (extracts.md). The normalisation itself (every
   whitespace character trimmed - tabs and no-break spaces too -, empty = missing, codes,
   initials, CRNs and code-like references upper-cased) is declared once, in
   pipelines/contract.py `normalised`, and applied by the loader: raw holds clean values.
   Staging does not trim or upper-case again (SQL's trim() removes spaces only, so a second
   rule here would disagree with the loader's). clean_text and clean_code differ only in
   what they document; empty strings are still read as missing. #}
{% macro clean_text(column) -%}
    nullif({{ column }}, '')
{%- endmacro %}

{% macro clean_code(column) -%}
    nullif({{ column }}, '')
{%- endmacro %}

{% macro clean_date(column) -%}
    cast(nullif({{ column }}, '') as date)
{%- endmacro %}

{% macro clean_number(column) -%}
    cast(nullif({{ column }}, '') as {{ type_double() }})
{%- endmacro %}

{# The matching key of indicators.md s.1: FINITIAL, SINITIAL, DOB, SEX, exact after trimming
   and upper-casing (done by the loader). Built from already-clean columns. #}
{% macro attributor_key(first_initial, surname_initial, date_of_birth, sex_code) -%}
    {{ dbt.concat([first_initial, "'|'", surname_initial, "'|'",
                   "cast(" ~ date_of_birth ~ " as " ~ dbt.type_string() ~ ")", "'|'", sex_code]) }}
{%- endmacro %}

{# Latest valid version per key (extracts.md): newest extract date wins, then the newest load,
   then the later line. Use as the body of a staging model's first CTE:
   latest as ({{ latest_versions(source('ndtms', 'ndtms_community'), 'EPISODID', 'episode_id') }}),
   where the third argument is the model's own name for the key (its unique_key).

   Staging models are incremental tables (dbt_project.yml): typed once, when their raw rows
   arrive. A first (or --full-refresh) build ranks every raw version; an incremental build
   re-ranks only the keys it must - those with a version loaded since the table was last
   built (its newest loaded_at), and those in raw but not in the table (a withdrawn file's
   rows are removed first by forget_withdrawn_versions, so a key that lost its current version
   falls back to the one before) - and delete+insert replaces them by key. A version that
   arrives late (an older extract date loaded after a newer one) is ranked with the others,
   so it never replaces a newer one.
   Most keys have one version only, so they pass straight through and only the keys with
   several versions are ranked: the same result as ranking every row, at about half the cost
   on large extracts (docs/benchmarks.md). It reads the relation itself, not an import CTE:
   DuckDB materialises a CTE read more than once, a copy of every raw row. Keys are required
   by the contract, so never null and `not in` is safe; the loader wrote them normalised, so
   `z900002 ` and `Z900002` are one key. #}
{% macro latest_versions(relation, key_column, model_key) -%}
    {%- if is_incremental() %}
    with since_last_build as (
        select coalesce(max(loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) as loaded_at
        from {{ this }}
    ),

    touched_keys as (
        select {{ key_column }} as version_key
        from {{ relation }}
        where _loaded_at > (select loaded_at from since_last_build)
        union
        select {{ key_column }} as version_key
        from {{ relation }}
        where {{ key_column }} not in (select {{ model_key }} from {{ this }})
    )

    {{ newest_version(relation, key_column, 'touched_keys') }}
    {%- else %}
    with keys_with_versions as (
        select {{ key_column }} as version_key
        from {{ relation }}
        group by {{ key_column }}
        having count(*) > 1
    )

    select single_version.*, 1 as version_rank
    from {{ relation }} as single_version
    where {{ key_column }} not in (select version_key from keys_with_versions)
    union all
    {{ newest_version(relation, key_column, 'keys_with_versions') }}
    {%- endif %}
{%- endmacro %}

{# The newest version of each key listed in the CTE `keys` (its column version_key): the
   order that decides "latest", in one place for full and incremental builds. #}
{% macro newest_version(relation, key_column, keys) -%}
    select * from (
        select
            versions.*,
            row_number() over (
                partition by {{ key_column }}
                order by _extract_date desc, _loaded_at desc, _source_file desc, _line_number desc
            ) as version_rank
        from {{ relation }} as versions
        where {{ key_column }} in (select version_key from {{ keys }})
    ) as ranked
    where version_rank = 1
{%- endmacro %}

{# Pre-hook of every staging model: before an incremental build, the current versions that
   came from a withdrawn file (`continuity withdraw`, pipelines/withdraw.py, which removes its
   rows from raw) leave the table, so latest_versions ranks their keys again from what raw
   still holds. Nothing to do on a first or full build. #}
{% macro forget_withdrawn_versions() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where source_file in (
            select source_file from {{ source('ingest', 'withdrawn_files') }} where undone_at is null
        )
    {%- endif -%}
{%- endmacro %}
