-- PHOF 2.16 / C20 alone, straight from the landing CSVs with DuckDB: the lower bound the whole
-- pipeline is compared with (issue 34). It reads only the columns C20 needs - the secure
-- episodes' key, attributors, discharge and exit; the community episodes' key and attributors;
-- the interventions' key, episode, modality and start - and keeps the row contract on them as
-- the loader does (docs/contract.md): values trimmed, empty = missing, codes and initials
-- upper-cased; a line whose key is repeated within its file, or with an initial that is not one
-- letter, an implausible date of birth, a sex, discharge reason, exit reason or modality
-- outside its list, or a date that is not a date, is dropped; then the latest version of each
-- key across files. A line broken only in a column C20 does not read is kept here (the
-- pipeline quarantines it): on the synthetic landing, which has no faults, both agree, and
-- benchmarks/run.py checks that they do before timing. baseline_duckdb.sql checks every column.
-- Run: set variable landing = '/path/to/landing'; set variable seeds = '/path/to/seeds'; then
-- .read c20_duckdb.sql; the result is
-- the temp table c20 (fy, geography_code, denominator, numerator).

create or replace temp macro blank() as
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || ' ' || chr(133) || chr(160) || chr(5760)
    || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199)
    || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288);
create or replace temp macro txt(v) as nullif(trim(v, blank()), '');
create or replace temp macro code(v) as nullif(upper(trim(v, blank())), '');
create or replace temp macro a_date(v) as
    case when regexp_full_match(v, '\d{4}-\d{2}-\d{2}') then try_cast(try_strptime(v, '%Y-%m-%d') as date) end;
create or replace temp macro initial_ok(v) as v is not null and regexp_full_match(v, '[A-Z]');

-- the files of each extract named <extract>_<YYYYMMDD>.csv, with their extract date
create or replace temp table files as
select file, extract, extract_date
from (
    select file, regexp_extract(file, '/(ndtms_[a-z]+)/[^/]*$', 1) as extract,
           regexp_extract(file, '/(ndtms_[a-z]+)_\d{8}\.csv$', 1) as named,
           try_cast(try_strptime(regexp_extract(file, '_(\d{8})\.csv$', 1), '%Y%m%d') as date) as extract_date
    from glob(getvariable('landing') || '/ndtms_*/*.csv')
)
where extract in ('ndtms_secure', 'ndtms_community', 'ndtms_interventions') and named = extract
    and extract_date is not null;
set variable secure_files = (select list(file order by file) from files where extract = 'ndtms_secure');
set variable community_files = (select list(file order by file) from files where extract = 'ndtms_community');
set variable intervention_files = (select list(file order by file) from files where extract = 'ndtms_interventions');

create or replace temp table releases as
with lines as (
    select txt(EPISODID) as id, code(FINITIAL) as fi, code(SINITIAL) as si, txt(DOB) as dob_text, code(SEX) as sex,
           code(DISRSN) as disrsn, txt(PRISEXDT) as exit_text, code(PRISEXRSN) as exit_reason,
           code(EXITDEST) as la, filename
    from read_csv(getvariable('secure_files'), all_varchar = true, filename = true)
),
checked as (
    select l.*, f.extract_date, a_date(dob_text) as dob, a_date(exit_text) as exit_date,
           count(*) over (partition by filename, id) as copies
    from lines l join files f on f.file = l.filename
    where id is not null
),
valid as (
    select * from checked
    where copies = 1 and initial_ok(fi) and initial_ok(si) and sex in ('1', '2', '3', '9')
        and dob between extract_date - interval 120 year and extract_date - interval 10 year
        and (disrsn is null or disrsn in (select upper(trim(discharge_reason_code)) from read_csv(
            getvariable('seeds') || '/discharge_reasons.csv', all_varchar = true)))
        and (exit_text is null or exit_date is not null)
        and (exit_reason is null or exit_reason in ('REL', 'TRN', 'DTH', 'OTH'))
    qualify row_number() over (partition by id order by filename desc) = 1
)
select min(id) as release_id, fi || '|' || si || '|' || dob_text || '|' || sex as person, exit_date,
       arg_min(la, id) as la
from valid
where disrsn = '83' and exit_reason = 'REL' and exit_date is not null and la like 'E%'
    and date_diff('year', dob, exit_date)
        - (case when strftime(exit_date, '%m%d') < strftime(dob, '%m%d') then 1 else 0 end) >= 18
group by person, exit_date;

create or replace temp table people as
with lines as (
    select txt(EPISODID) as id, code(FINITIAL) as fi, code(SINITIAL) as si, txt(DOB) as dob_text, code(SEX) as sex,
           filename
    from read_csv(getvariable('community_files'), all_varchar = true, filename = true)
),
counted as (
    select l.*, f.extract_date, count(*) over (partition by l.filename, l.id) as copies
    from lines l join files f on f.file = l.filename
    where l.id is not null
)
select id, fi || '|' || si || '|' || dob_text || '|' || sex as person
from counted
where copies = 1 and initial_ok(fi) and initial_ok(si) and sex in ('1', '2', '3', '9')
    and a_date(dob_text) between extract_date - interval 120 year and extract_date - interval 10 year
qualify row_number() over (partition by id order by filename desc) = 1;

create or replace temp table starts as
with lines as (
    select txt(MODID) as id, txt(EPISODID) as episode, code(MODAL) as modal, txt(MODST) as start_text, filename
    from read_csv(getvariable('intervention_files'), all_varchar = true, filename = true)
),
counted as (
    select *, count(*) over (partition by filename, id) as copies from lines where id is not null
),
valid as (
    select * from counted
    where copies = 1 and episode is not null
        and modal in (select upper(trim(modality_code)) from read_csv(
            getvariable('seeds') || '/modalities.csv', all_varchar = true))
        and (start_text is null or a_date(start_text) is not null)
    qualify row_number() over (partition by id order by filename desc) = 1
)
select p.person, a_date(v.start_text) as start_date
from valid v join people p on p.id = v.episode
where v.modal in ('01', '02', '03', '04', '05') and v.start_text is not null;

create or replace temp table c20 as
with latest as (select max(extract_date) as d from files),
decided as (
    select r.release_id, r.la, r.exit_date,
           case when r.exit_date + 21 > (select d from latest) then 'pending'
                when exists (
                    select 1 from starts s
                    where s.person = r.person and s.start_date between r.exit_date and r.exit_date + 21
                ) then 'engaged'
                else 'not_engaged' end as status
    from releases r
)
select fy, geography_code, count(*) filter (where status <> 'pending') as denominator,
       count(*) filter (where status = 'engaged') as numerator
from (select *, year(exit_date - interval 3 month) as fy from decided) d,
    lateral (select 'E92000001' as geography_code union all select la) g
group by fy, geography_code;
