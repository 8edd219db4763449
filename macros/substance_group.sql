{# Substance group of an episode from the seed groups of DRUG1-3 (indicators.md s.3, from
   source 003 s.5.7): any opiate -> opiate; else non-opiate and alcohol; else non-opiate
   only; else alcohol only. Arguments are the three substance_group columns. #}
{% macro substance_group(group1, group2, group3) -%}
    {%- set groups = [group1, group2, group3] -%}
    case
        when 'opiate' in ({{ groups | join(', ') }}) then 'opiate'
        when 'non_opiate' in ({{ groups | join(', ') }}) and 'alcohol' in ({{ groups | join(', ') }}) then 'non_opiate_and_alcohol'
        when 'non_opiate' in ({{ groups | join(', ') }}) then 'non_opiate_only'
        when 'alcohol' in ({{ groups | join(', ') }}) then 'alcohol_only'
    end
{%- endmacro %}
