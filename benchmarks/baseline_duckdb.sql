-- PHOF 2.16 / C20 written plainly as a user would, straight from the landing CSVs with
-- DuckDB and no orchestration: the lower bound the pipeline is compared with.
-- Run: duckdb -c ".read baseline_duckdb.sql" with the variables landing and seeds set, e.g.
--   set variable landing = '/path/to/landing'; set variable seeds = '/path/to/seeds';
-- It does the row work the pipeline does before C20 (docs/contract.md): every value trimmed
-- of whitespace, empty = missing, codes and initials upper-cased; a line with a missing
-- required field, a bad date, an implausible date of birth, a code outside its list or an
-- initial that is not one letter is dropped, and so is every line of a key repeated within a
-- file; then the latest valid version per key across files. Files whose name is not
-- <extract>_<YYYYMMDD>.csv are not read. Then the release rules, the 21-day match, and
-- England and every local authority by financial year.

-- every Unicode White_Space character, as the loader trims them (contract.normalised)
create or replace temp macro blank() as
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || ' ' || chr(133) || chr(160) || chr(5760)
    || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199)
    || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288);
create or replace temp macro txt(v) as nullif(trim(v, blank()), '');
create or replace temp macro code(v) as nullif(upper(trim(v, blank())), '');
create or replace temp macro date_ok(v) as
    v is null or (regexp_full_match(v, '\d{4}-\d{2}-\d{2}') and try_strptime(v, '%Y-%m-%d') is not null);
-- a date of birth: a valid date, aged 10 to 120 on the file's extract date
create or replace temp macro dob_ok(v, extract_date) as
    v is not null and date_ok(v)
    and cast(v as date) between extract_date - interval 120 year and extract_date - interval 10 year;
create or replace temp macro initial_ok(v) as v is not null and regexp_full_match(v, '[A-Z]');
create or replace temp macro file_date(f) as cast(strptime(regexp_extract(f, '_(\d{8})\.csv$', 1), '%Y%m%d') as date);

create or replace temp table estab_codes as
select distinct upper(trim(estab_code)) as code from read_csv(getvariable('seeds') || '/prisons.csv', all_varchar = true);
create or replace temp table ethnic_codes as
select distinct upper(trim(ethnic_code)) as code from read_csv(getvariable('seeds') || '/ethnic_groups.csv', all_varchar = true);
create or replace temp table substance_codes as
select distinct upper(trim(substance_code)) as code from read_csv(getvariable('seeds') || '/substances.csv', all_varchar = true);
create or replace temp table discharge_codes as
select distinct upper(trim(discharge_reason_code)) as code
from read_csv(getvariable('seeds') || '/discharge_reasons.csv', all_varchar = true);
create or replace temp table modality_codes as
select distinct upper(trim(modality_code)) as code from read_csv(getvariable('seeds') || '/modalities.csv', all_varchar = true);

create or replace temp table secure as
with lines as (
    select
        txt(EPISODID) as EPISODID, code(AGNCY) as AGNCY, code(ESTAB) as ESTAB, txt(CLIENT) as CLIENT,
        code(FINITIAL) as FINITIAL, code(SINITIAL) as SINITIAL, txt(DOB) as DOB, code(SEX) as SEX,
        code(GENDER) as GENDER, code(ETHNIC) as ETHNIC, code(DISABLE) as DISABLE,
        txt(RECEPDT) as RECEPDT, txt(TRIAGED) as TRIAGED,
        code(DRUG1) as DRUG1, code(DRUG2) as DRUG2, code(DRUG3) as DRUG3,
        txt(DISD) as DISD, code(DISRSN) as DISRSN, code(RORSTAT) as RORSTAT, txt(PRISEXDT) as PRISEXDT,
        code(PRISEXRSN) as PRISEXRSN, code(EXITDEST) as EXITDEST, code(LSOA) as LSOA, code(INREACH) as INREACH,
        filename, file_date(filename) as extract_date
    from read_csv(getvariable('landing') || '/ndtms_secure/*.csv', all_varchar = true, filename = true)
    where regexp_full_match(filename, '.*/ndtms_secure_\d{8}\.csv') and file_date(filename) is not null
)
select * exclude (copies) from (select *, count(EPISODID) over (partition by filename, EPISODID) as copies from lines)
where copies = 1
    and AGNCY is not null and CLIENT is not null
    and ESTAB in (select code from estab_codes)
    and initial_ok(FINITIAL) and initial_ok(SINITIAL) and dob_ok(DOB, extract_date) and SEX in ('1', '2', '3', '9')
    and (GENDER is null or GENDER in ('M', 'W', 'N', 'O', 'Z'))
    and (ETHNIC is null or ETHNIC in (select code from ethnic_codes))
    and (DISABLE is null or DISABLE in ('Y', 'N', 'Z'))
    and RECEPDT is not null and date_ok(RECEPDT) and TRIAGED is not null and date_ok(TRIAGED)
    and DRUG1 in (select code from substance_codes)
    and (DRUG2 is null or DRUG2 in (select code from substance_codes))
    and (DRUG3 is null or DRUG3 in (select code from substance_codes))
    and date_ok(DISD) and (DISRSN is null or DISRSN in (select code from discharge_codes))
    and (RORSTAT is null or RORSTAT in ('1', '2', '3', '4')) and date_ok(PRISEXDT)
    and (PRISEXRSN is null or PRISEXRSN in ('REL', 'TRN', 'DTH', 'OTH'))
    and (INREACH is null or INREACH in ('Y', 'N'))
qualify row_number() over (partition by EPISODID order by filename desc) = 1;

create or replace temp table community as
with lines as (
    select
        txt(EPISODID) as EPISODID, code(AGNCY) as AGNCY, txt(CLIENT) as CLIENT,
        code(FINITIAL) as FINITIAL, code(SINITIAL) as SINITIAL, txt(DOB) as DOB, code(SEX) as SEX,
        code(GENDER) as GENDER, code(ETHNIC) as ETHNIC, code(DISABLE) as DISABLE,
        code(UTLA) as UTLA, code(LSOA) as LSOA, txt(REFLD) as REFLD, code(RFLS) as RFLS, txt(TRIAGED) as TRIAGED,
        code(DRUG1) as DRUG1, code(DRUG2) as DRUG2, code(DRUG3) as DRUG3, txt(DISD) as DISD, code(DISRSN) as DISRSN,
        filename, file_date(filename) as extract_date
    from read_csv(getvariable('landing') || '/ndtms_community/*.csv', all_varchar = true, filename = true)
    where regexp_full_match(filename, '.*/ndtms_community_\d{8}\.csv') and file_date(filename) is not null
)
select * exclude (copies) from (select *, count(EPISODID) over (partition by filename, EPISODID) as copies from lines)
where copies = 1
    and AGNCY is not null and CLIENT is not null
    and initial_ok(FINITIAL) and initial_ok(SINITIAL) and dob_ok(DOB, extract_date) and SEX in ('1', '2', '3', '9')
    and (GENDER is null or GENDER in ('M', 'W', 'N', 'O', 'Z'))
    and (ETHNIC is null or ETHNIC in (select code from ethnic_codes))
    and (DISABLE is null or DISABLE in ('Y', 'N', 'Z'))
    and UTLA is not null and REFLD is not null and date_ok(REFLD)
    and (RFLS is null or RFLS in ('PRI', 'PRO', 'SLF', 'GP', 'OTH')) and date_ok(TRIAGED)
    and DRUG1 in (select code from substance_codes)
    and (DRUG2 is null or DRUG2 in (select code from substance_codes))
    and (DRUG3 is null or DRUG3 in (select code from substance_codes))
    and date_ok(DISD) and (DISRSN is null or DISRSN in (select code from discharge_codes))
qualify row_number() over (partition by EPISODID order by filename desc) = 1;

create or replace temp table interventions as
with lines as (
    select
        txt(MODID) as MODID, txt(EPISODID) as EPISODID, code(MODAL) as MODAL, txt(REFMODDT) as REFMODDT,
        txt(FAOMODDT) as FAOMODDT, txt(MODST) as MODST, txt(MODEND) as MODEND, code(MODEXIT) as MODEXIT, filename
    from read_csv(getvariable('landing') || '/ndtms_interventions/*.csv', all_varchar = true, filename = true)
    where regexp_full_match(filename, '.*/ndtms_interventions_\d{8}\.csv') and file_date(filename) is not null
)
select * exclude (copies) from (select *, count(MODID) over (partition by filename, MODID) as copies from lines)
where copies = 1
    and EPISODID is not null and MODAL in (select code from modality_codes)
    and date_ok(REFMODDT) and date_ok(FAOMODDT) and date_ok(MODST) and date_ok(MODEND)
    and (MODEXIT is null or MODEXIT in ('A', 'B', 'C'))
qualify row_number() over (partition by MODID order by filename desc) = 1;

create or replace temp table latest as
select max(file_date(file)) as d from glob(getvariable('landing') || '/ndtms_*/*.csv')
where regexp_full_match(file, '.*/(ndtms_secure|ndtms_community|ndtms_interventions)_\d{8}\.csv');
create or replace temp table releases as
select min(EPISODID) as release_id, key, exit_date, arg_min(la, EPISODID) as la
from (
    select EPISODID, FINITIAL || '|' || SINITIAL || '|' || DOB || '|' || SEX as key,
           cast(PRISEXDT as date) as exit_date, EXITDEST as la, cast(DOB as date) as dob
    from secure
    where DISRSN = '83' and PRISEXRSN = 'REL' and PRISEXDT is not null and EXITDEST like 'E%'
) s
where date_diff('year', dob, exit_date) - (case when strftime(exit_date, '%m%d') < strftime(dob, '%m%d') then 1 else 0 end) >= 18
group by key, exit_date;
create or replace temp table starts as
select c.FINITIAL || '|' || c.SINITIAL || '|' || c.DOB || '|' || c.SEX as key, cast(i.MODST as date) as start_date
from interventions i join community c on i.EPISODID = c.EPISODID
where i.MODAL in ('01', '02', '03', '04', '05') and i.MODST is not null;
create or replace temp table decided as
select r.release_id, r.la, r.exit_date,
       case when r.exit_date + 21 > (select d from latest) then 'pending'
            when exists (select 1 from starts s where s.key = r.key and s.start_date between r.exit_date and r.exit_date + 21)
            then 'engaged' else 'not_engaged' end as status
from releases r;
create or replace temp table c20 as
select fy, geography_code, count(*) filter (where status <> 'pending') as denominator,
       count(*) filter (where status = 'engaged') as numerator
from (
    select *, year(exit_date - interval 3 month) as fy from decided
) d, lateral (select 'E92000001' as geography_code union all select la) g
group by fy, geography_code;
