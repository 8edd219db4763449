-- PHOF 2.16 / C20 written plainly as a user would, straight from the landing CSVs with
-- DuckDB and no orchestration: the lower bound the pipeline is compared with.
-- Run: duckdb -c ".read baseline_duckdb.sql" with the variable landing set, e.g.
--   set variable landing = '/path/to/landing';
-- Latest version per key, the release rules, the 21-day match, England and LA by FY.
create or replace temp table secure as
select * exclude (rn) from (
    select *, row_number() over (partition by trim(EPISODID) order by filename desc) as rn
    from read_csv(getvariable('landing') || '/ndtms_secure/*.csv', all_varchar = true, filename = true)
) where rn = 1;
create or replace temp table community as
select * exclude (rn) from (
    select *, row_number() over (partition by trim(EPISODID) order by filename desc) as rn
    from read_csv(getvariable('landing') || '/ndtms_community/*.csv', all_varchar = true, filename = true)
) where rn = 1;
create or replace temp table interventions as
select * exclude (rn) from (
    select *, row_number() over (partition by trim(MODID) order by filename desc) as rn
    from read_csv(getvariable('landing') || '/ndtms_interventions/*.csv', all_varchar = true, filename = true)
) where rn = 1;
create or replace temp table latest as
select max(strptime(regexp_extract(filename, '_(\d{8})\.csv$', 1), '%Y%m%d')::date) as d from (
    select filename from read_csv(getvariable('landing') || '/ndtms_*/*.csv', all_varchar = true, filename = true)
);
create or replace temp table releases as
select min(EPISODID) as release_id, key, exit_date, arg_min(la, EPISODID) as la
from (
    select trim(EPISODID) as EPISODID,
           upper(trim(FINITIAL)) || '|' || upper(trim(SINITIAL)) || '|' || trim(DOB) || '|' || trim(SEX) as key,
           trim(PRISEXDT)::date as exit_date, upper(trim(EXITDEST)) as la, trim(DOB)::date as dob
    from secure
    where trim(DISRSN) = '83' and upper(trim(PRISEXRSN)) = 'REL' and nullif(trim(PRISEXDT), '') is not null
      and upper(trim(EXITDEST)) like 'E%'
) s
where date_diff('year', dob, exit_date) - (case when strftime(exit_date, '%m%d') < strftime(dob, '%m%d') then 1 else 0 end) >= 18
group by key, exit_date;
create or replace temp table starts as
select upper(trim(c.FINITIAL)) || '|' || upper(trim(c.SINITIAL)) || '|' || trim(c.DOB) || '|' || trim(c.SEX) as key,
       trim(i.MODST)::date as start_date
from interventions i join community c on trim(i.EPISODID) = trim(c.EPISODID)
where trim(i.MODAL) in ('01', '02', '03', '04', '05') and nullif(trim(i.MODST), '') is not null;
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
