-- Pre-aggregated hazard counts for the statistics API and the dashboard
-- (issue 9): per street × month (Shanghai) × industry × grade × state, the
-- hazards, and for closed ones those with a deadline, those closed by it and
-- the sum of report-to-close times. Maintained by triggers in the same
-- transaction as every hazard write (statement-level, one aggregated upsert
-- per statement) and every change of an enterprise's industry, so it is
-- never stale. Overdue depends on the clock and is counted from the hazards
-- themselves (few are open).
--
-- street_code: the first 9 digits of the hazard's region (its region itself
-- when coarser); month: YYYY-MM of reported_at in UTC+8 (Asia/Shanghai has
-- kept UTC+8 without daylight saving since 1991); industry: the enterprise's,
-- '' for hazards without one.
CREATE TABLE hazard_rollup (
    street_code TEXT COLLATE "C" NOT NULL,
    month TEXT COLLATE "C" NOT NULL,
    industry TEXT COLLATE "C" NOT NULL,
    grade TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    closed_with_deadline BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    rectify_ms BIGINT NOT NULL,
    PRIMARY KEY (street_code, month, industry, grade, state)
);

CREATE FUNCTION hazard_rollup_month(ms BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_char(to_timestamp(ms / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM') $$;

CREATE FUNCTION hazard_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO hazard_rollup AS r (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
        SELECT d.street_code, d.month, d.industry, d.grade, d.state, SUM(d.sign), SUM(d.sign * d.cwd), SUM(d.sign * d.ot), SUM(d.sign * d.ms)
        FROM (SELECT 1 AS sign, h.* FROM (SELECT substr(x.region_code, 1, 9) AS street_code, hazard_rollup_month(x.reported_at) AS month,
                COALESCE(e.industry, '') AS industry, x.grade, x.state,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL AND x.deadline_ms IS NOT NULL THEN 1 ELSE 0 END AS cwd,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL AND x.deadline_ms IS NOT NULL AND x.closed_at <= x.deadline_ms THEN 1 ELSE 0 END AS ot,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL THEN x.closed_at - x.reported_at ELSE 0 END AS ms
              FROM new_rows x LEFT JOIN enterprises e ON e.id = x.enterprise_id) h) d
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = r.n + EXCLUDED.n,
            closed_with_deadline = r.closed_with_deadline + EXCLUDED.closed_with_deadline,
            closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, rectify_ms = r.rectify_ms + EXCLUDED.rectify_ms;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO hazard_rollup AS r (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
        SELECT d.street_code, d.month, d.industry, d.grade, d.state, SUM(d.sign), SUM(d.sign * d.cwd), SUM(d.sign * d.ot), SUM(d.sign * d.ms)
        FROM (SELECT -1 AS sign, h.* FROM (SELECT substr(x.region_code, 1, 9) AS street_code, hazard_rollup_month(x.reported_at) AS month,
                COALESCE(e.industry, '') AS industry, x.grade, x.state,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL AND x.deadline_ms IS NOT NULL THEN 1 ELSE 0 END AS cwd,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL AND x.deadline_ms IS NOT NULL AND x.closed_at <= x.deadline_ms THEN 1 ELSE 0 END AS ot,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL THEN x.closed_at - x.reported_at ELSE 0 END AS ms
              FROM old_rows x LEFT JOIN enterprises e ON e.id = x.enterprise_id) h) d
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = r.n + EXCLUDED.n,
            closed_with_deadline = r.closed_with_deadline + EXCLUDED.closed_with_deadline,
            closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, rectify_ms = r.rectify_ms + EXCLUDED.rectify_ms;
    ELSE
        -- An update: the old rows out, the new rows in; groups whose net change is nil are left alone.
        INSERT INTO hazard_rollup AS r (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
        SELECT d.street_code, d.month, d.industry, d.grade, d.state, SUM(d.sign), SUM(d.sign * d.cwd), SUM(d.sign * d.ot), SUM(d.sign * d.ms)
        FROM (SELECT substr(x.region_code, 1, 9) AS street_code, hazard_rollup_month(x.reported_at) AS month,
                COALESCE(e.industry, '') AS industry, x.grade, x.state, x.sign,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL AND x.deadline_ms IS NOT NULL THEN 1 ELSE 0 END AS cwd,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL AND x.deadline_ms IS NOT NULL AND x.closed_at <= x.deadline_ms THEN 1 ELSE 0 END AS ot,
                CASE WHEN x.state = 'closed' AND x.closed_at IS NOT NULL THEN x.closed_at - x.reported_at ELSE 0 END AS ms
              FROM (SELECT -1 AS sign, region_code, enterprise_id, grade, state, reported_at, deadline_ms, closed_at FROM old_rows
                    UNION ALL
                    SELECT 1, region_code, enterprise_id, grade, state, reported_at, deadline_ms, closed_at FROM new_rows) x
              LEFT JOIN enterprises e ON e.id = x.enterprise_id) d
        GROUP BY 1, 2, 3, 4, 5
        HAVING SUM(d.sign) <> 0 OR SUM(d.sign * d.cwd) <> 0 OR SUM(d.sign * d.ot) <> 0 OR SUM(d.sign * d.ms) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = r.n + EXCLUDED.n,
            closed_with_deadline = r.closed_with_deadline + EXCLUDED.closed_with_deadline,
            closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, rectify_ms = r.rectify_ms + EXCLUDED.rectify_ms;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER hazard_rollup_insert AFTER INSERT ON hazards REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hazard_rollup_apply();
CREATE TRIGGER hazard_rollup_update AFTER UPDATE ON hazards REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hazard_rollup_apply();
CREATE TRIGGER hazard_rollup_delete AFTER DELETE ON hazards REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hazard_rollup_apply();

-- An enterprise changing industry moves its hazards' counts.
CREATE FUNCTION hazard_rollup_industry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hazard_rollup AS r (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
    SELECT substr(h.region_code, 1, 9), hazard_rollup_month(h.reported_at), ind.industry, h.grade, h.state, ind.sign * COUNT(*),
        ind.sign * SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL THEN 1 ELSE 0 END),
        ind.sign * SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL AND h.closed_at <= h.deadline_ms THEN 1 ELSE 0 END),
        ind.sign * SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL THEN h.closed_at - h.reported_at ELSE 0 END)
    FROM hazards h CROSS JOIN (VALUES (OLD.industry, -1), (NEW.industry, 1)) AS ind(industry, sign)
    WHERE h.enterprise_id = NEW.id
    GROUP BY 1, 2, 3, 4, 5, ind.sign ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = r.n + EXCLUDED.n,
        closed_with_deadline = r.closed_with_deadline + EXCLUDED.closed_with_deadline,
        closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, rectify_ms = r.rectify_ms + EXCLUDED.rectify_ms;
    RETURN NULL;
END $$;
CREATE TRIGGER hazard_rollup_industry AFTER UPDATE OF industry ON enterprises
    FOR EACH ROW WHEN (OLD.industry IS DISTINCT FROM NEW.industry) EXECUTE FUNCTION hazard_rollup_industry();

INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
SELECT substr(h.region_code, 1, 9), hazard_rollup_month(h.reported_at), COALESCE(e.industry, ''), h.grade, h.state, COUNT(*),
    SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL AND h.closed_at <= h.deadline_ms THEN 1 ELSE 0 END),
    SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL THEN h.closed_at - h.reported_at ELSE 0 END)
FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id
GROUP BY 1, 2, 3, 4, 5;

-- Open hazards by deadline with what the overdue queries group by.
CREATE INDEX hazards_open_deadline ON hazards(deadline_ms, enterprise_id, region_code)
    WHERE state IN ('pending', 'rectifying', 'awaiting_acceptance');
