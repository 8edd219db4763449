{# Release-grain models partitioned by financial year (docs/decisions.md, "Incremental by
   financial year"). A partitioned model's rows for a year are rebuilt only when what they
   are computed from changed: int_year_fingerprints digests, per financial year of PRISEXDT,
   everything the partitioned models read for that year's releases (the releases, the
   structured starts and community episodes in the windows they are read in, the interventions
   of those episodes, the latest NDTMS extract date while it can still change a window, the
   reference data, the rule vars, the code and the person key). Each partitioned model keeps
   the fingerprint each of its years was built from in year_partition_builds; a year whose
   fingerprint differs (or is new, or is gone) is touched: its rows are deleted and computed
   again, the other years' rows are kept.

   Use: `{{ year_partitioned() }}` at the top of the model, and `where {{ in_touched_years('x.prison_exit_date') }}`
   on the CTE that reads its releases. A first build, a --full-refresh and a change of code,
   vars or key rebuild every year. On Spark the models are plain tables (like staging). #}

{% macro year_partitioned(date_column='prison_exit_date') -%}
    {{ config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook=["{{ forget_touched_years('" ~ date_column ~ "') }}"],
        post_hook=["{{ record_year_partitions() }}"],
        tags=['year_partitioned'],
    ) }}
    {%- if model.resource_type != 'unit_test' %}
    -- depends_on: {{ ref('int_year_fingerprints') }}
    {%- endif %}
{%- endmacro %}

{# Where a partitioned model keeps the fingerprint each year was built from: one table, a row
   per (model, financial year), beside the pipeline's other bookkeeping (raw.loaded_files,
   raw.build_state): it is not a model, and --full-refresh does not drop it. #}
{% macro year_partition_builds() -%}
    {%- set bookkeeping = source('ingest', 'loaded_files') -%}
    {{ return(api.Relation.create(database=bookkeeping.database, schema=bookkeeping.schema,
                                  identifier='year_partition_builds')) }}
{%- endmacro %}

{# The financial years this model must rebuild: a fingerprint it was not built from, or a year
   it holds that has no releases any more. #}
{% macro touched_years() -%}
    select f.financial_year
    from {{ ref('int_year_fingerprints') }} as f
    left join {{ year_partition_builds() }} as b
        on b.model_name = '{{ this.identifier }}' and b.financial_year = f.financial_year
    where b.fingerprint is null or b.fingerprint <> f.fingerprint
    union
    select b.financial_year
    from {{ year_partition_builds() }} as b
    where b.model_name = '{{ this.identifier }}'
      and b.financial_year not in (select f.financial_year from {{ ref('int_year_fingerprints') }} as f)
{%- endmacro %}

{# The filter of the releases a partitioned model reads: every release on a full build, the
   touched years' on an incremental one. #}
{% macro in_touched_years(date_column) -%}
    {#- a unit test reads its given rows whole (dbt may call it incremental: the model exists) -#}
    {%- if model.resource_type != 'unit_test' and is_incremental() -%}
        {{ financial_year_label(date_column) }} in ({{ touched_years() }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{# Post-hook of int_year_fingerprints, which every partitioned model builds after: the record
   table exists before they run (created once, not by parallel threads). #}
{% macro create_year_partition_builds() -%}
    {%- if target.type != 'spark' -%}
        create table if not exists {{ year_partition_builds() }} (
            model_name {{ dbt.type_string() }},
            financial_year {{ dbt.type_string() }},
            fingerprint {{ dbt.type_string() }},
            built_at {{ dbt.type_timestamp() }}
        )
    {%- endif -%}
{%- endmacro %}

{# Pre-hook: the touched years' rows leave the table, in the build's transaction. A table
   built before the column existed (an older version of the model) is emptied: every year is
   touched then, since it has no fingerprints recorded. #}
{% macro forget_touched_years(date_column) -%}
    {%- if is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        delete from {{ this }}
        {%- if date_column | lower in columns %}
        where {{ in_touched_years(date_column) }}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{# Post-hook: the years rebuilt now record the fingerprint they were built from and when; the
   others keep theirs. A full build records every year afresh. #}
{% macro record_year_partitions() -%}
    {%- if model.config.materialized == 'incremental' -%}
        delete from {{ year_partition_builds() }}
        where model_name = '{{ this.identifier }}'
        {%- if is_incremental() %}
          and financial_year in ({{ touched_years() }})
        {%- endif %};
        insert into {{ year_partition_builds() }} (model_name, financial_year, fingerprint, built_at)
        select '{{ this.identifier }}', f.financial_year, f.fingerprint, current_timestamp
        from {{ ref('int_year_fingerprints') }} as f
        where not exists (
            select 1 from {{ year_partition_builds() }} as b
            where b.model_name = '{{ this.identifier }}' and b.financial_year = f.financial_year
        )
    {%- endif -%}
{%- endmacro %}

{# Order-independent digest of a set of rows: the sum of each row's hash (the same rows in any
   order give the same digest; a changed, added or removed row changes it). #}
{% macro rows_digest(columns) -%}
    {{ return(adapter.dispatch('rows_digest', 'continuity')(columns)) }}
{%- endmacro %}

{% macro default__rows_digest(columns) -%}
    {%- if columns -%}{{ as_text("sum(hash(" ~ columns | join(', ') ~ "))") }}{%- else -%}{{ as_text('count(*)') }}{%- endif -%}
{%- endmacro %}

{% macro spark__rows_digest(columns) -%}
    {%- if columns -%}{{ as_text("sum(xxhash64(" ~ columns | join(', ') ~ ") % 1000000007)") }}{%- else -%}{{ as_text('count(*)') }}{%- endif -%}
{%- endmacro %}

{# The columns of a relation that carry content, qualified by an alias: all but the lineage
   columns staging adds (an unchanged record re-sent in a new extract has new lineage). #}
{% macro content_columns(relation, alias) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set lineage = ['extract_date', 'source_file', 'line_number', 'loaded_at'] -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in lineage -%}
        {%- do names.append(alias ~ '.' ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- if not names and model.resource_type == 'model' and flags.WHICH in ('build', 'run') -%}
        {{ exceptions.raise_compiler_error("year partitions: no columns found for " ~ relation) }}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}

{# What the partitioned rows are computed by: every model's and seed's checksum in this
   project, every macro's text, and the rule vars the partitioned models read. A change to
   any of them rebuilds every year. #}
{% macro year_partition_code() -%}
    {%- set parts = [] -%}
    {%- if execute -%}
        {%- for node in (graph.get('nodes') or {}).values() | sort(attribute='unique_id')
                if node.resource_type in ('model', 'seed') and node.package_name == project_name -%}
            {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
        {%- endfor -%}
        {%- for macro in (graph.get('macros') or {}).values() | sort(attribute='unique_id')
                if macro.package_name == project_name -%}
            {%- do parts.append(macro.unique_id ~ ':' ~ local_md5(macro.macro_sql)) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do parts.append(tojson([var('engagement_window_days'), var('time_to_treatment_horizon_days'),
                                var('referral_days_before_release'), var('age_bands'),
                                var('custody_short_months'), var('custody_long_months')])) -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}
