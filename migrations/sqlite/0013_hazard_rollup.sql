-- Pre-aggregated hazard counts for the statistics API and the dashboard
-- (issue 9): per street × month (Shanghai) × industry × grade × state, the
-- hazards, and for closed ones those with a deadline, those closed by it and
-- the sum of report-to-close times. Maintained by triggers in the same
-- transaction as every hazard write (and every change of an enterprise's
-- industry), so it is never stale. Overdue depends on the clock and is
-- counted from the hazards themselves (few are open).
--
-- street_code: the first 9 digits of the hazard's region (its region itself
-- when coarser); month: YYYY-MM of reported_at in UTC+8 (Asia/Shanghai has
-- kept UTC+8 without daylight saving since 1991); industry: the enterprise's,
-- '' for hazards without one.
CREATE TABLE hazard_rollup (
    street_code TEXT NOT NULL,
    month TEXT NOT NULL,
    industry TEXT NOT NULL,
    grade TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    closed_with_deadline INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    rectify_ms INTEGER NOT NULL,
    PRIMARY KEY (street_code, month, industry, grade, state)
) WITHOUT ROWID;

INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
SELECT substr(h.region_code, 1, 9), strftime('%Y-%m', h.reported_at / 1000 + 28800, 'unixepoch'), COALESCE(e.industry, ''),
       h.grade, h.state, COUNT(*),
       SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL AND h.closed_at <= h.deadline_ms THEN 1 ELSE 0 END),
       SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL THEN h.closed_at - h.reported_at ELSE 0 END)
FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id
WHERE true
GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER hazard_rollup_insert AFTER INSERT ON hazards BEGIN
    INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
    VALUES (substr(NEW.region_code, 1, 9), strftime('%Y-%m', NEW.reported_at / 1000 + 28800, 'unixepoch'),
        COALESCE((SELECT industry FROM enterprises WHERE id = NEW.enterprise_id), ''), NEW.grade, NEW.state, 1,
        NEW.state = 'closed' AND NEW.closed_at IS NOT NULL AND NEW.deadline_ms IS NOT NULL,
        NEW.state = 'closed' AND NEW.closed_at IS NOT NULL AND NEW.deadline_ms IS NOT NULL AND NEW.closed_at <= NEW.deadline_ms,
        CASE WHEN NEW.state = 'closed' AND NEW.closed_at IS NOT NULL THEN NEW.closed_at - NEW.reported_at ELSE 0 END)
    ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = n + excluded.n,
        closed_with_deadline = closed_with_deadline + excluded.closed_with_deadline,
        closed_on_time = closed_on_time + excluded.closed_on_time, rectify_ms = rectify_ms + excluded.rectify_ms;
END;

CREATE TRIGGER hazard_rollup_delete AFTER DELETE ON hazards BEGIN
    INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
    VALUES (substr(OLD.region_code, 1, 9), strftime('%Y-%m', OLD.reported_at / 1000 + 28800, 'unixepoch'),
        COALESCE((SELECT industry FROM enterprises WHERE id = OLD.enterprise_id), ''), OLD.grade, OLD.state, -1,
        -(OLD.state = 'closed' AND OLD.closed_at IS NOT NULL AND OLD.deadline_ms IS NOT NULL),
        -(OLD.state = 'closed' AND OLD.closed_at IS NOT NULL AND OLD.deadline_ms IS NOT NULL AND OLD.closed_at <= OLD.deadline_ms),
        CASE WHEN OLD.state = 'closed' AND OLD.closed_at IS NOT NULL THEN OLD.reported_at - OLD.closed_at ELSE 0 END)
    ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = n + excluded.n,
        closed_with_deadline = closed_with_deadline + excluded.closed_with_deadline,
        closed_on_time = closed_on_time + excluded.closed_on_time, rectify_ms = rectify_ms + excluded.rectify_ms;
END;

CREATE TRIGGER hazard_rollup_update AFTER UPDATE ON hazards
WHEN OLD.region_code IS NOT NEW.region_code OR OLD.enterprise_id IS NOT NEW.enterprise_id OR OLD.grade IS NOT NEW.grade
    OR OLD.state IS NOT NEW.state OR OLD.reported_at IS NOT NEW.reported_at OR OLD.closed_at IS NOT NEW.closed_at
    OR OLD.deadline_ms IS NOT NEW.deadline_ms
BEGIN
    INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
    VALUES (substr(OLD.region_code, 1, 9), strftime('%Y-%m', OLD.reported_at / 1000 + 28800, 'unixepoch'),
        COALESCE((SELECT industry FROM enterprises WHERE id = OLD.enterprise_id), ''), OLD.grade, OLD.state, -1,
        -(OLD.state = 'closed' AND OLD.closed_at IS NOT NULL AND OLD.deadline_ms IS NOT NULL),
        -(OLD.state = 'closed' AND OLD.closed_at IS NOT NULL AND OLD.deadline_ms IS NOT NULL AND OLD.closed_at <= OLD.deadline_ms),
        CASE WHEN OLD.state = 'closed' AND OLD.closed_at IS NOT NULL THEN OLD.reported_at - OLD.closed_at ELSE 0 END)
    ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = n + excluded.n,
        closed_with_deadline = closed_with_deadline + excluded.closed_with_deadline,
        closed_on_time = closed_on_time + excluded.closed_on_time, rectify_ms = rectify_ms + excluded.rectify_ms;
    INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
    VALUES (substr(NEW.region_code, 1, 9), strftime('%Y-%m', NEW.reported_at / 1000 + 28800, 'unixepoch'),
        COALESCE((SELECT industry FROM enterprises WHERE id = NEW.enterprise_id), ''), NEW.grade, NEW.state, 1,
        NEW.state = 'closed' AND NEW.closed_at IS NOT NULL AND NEW.deadline_ms IS NOT NULL,
        NEW.state = 'closed' AND NEW.closed_at IS NOT NULL AND NEW.deadline_ms IS NOT NULL AND NEW.closed_at <= NEW.deadline_ms,
        CASE WHEN NEW.state = 'closed' AND NEW.closed_at IS NOT NULL THEN NEW.closed_at - NEW.reported_at ELSE 0 END)
    ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = n + excluded.n,
        closed_with_deadline = closed_with_deadline + excluded.closed_with_deadline,
        closed_on_time = closed_on_time + excluded.closed_on_time, rectify_ms = rectify_ms + excluded.rectify_ms;
END;

-- An enterprise changing industry moves its hazards' counts.
CREATE TRIGGER hazard_rollup_industry AFTER UPDATE OF industry ON enterprises WHEN OLD.industry IS NOT NEW.industry BEGIN
    INSERT INTO hazard_rollup (street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)
    SELECT substr(h.region_code, 1, 9), strftime('%Y-%m', h.reported_at / 1000 + 28800, 'unixepoch'), ind.industry,
           h.grade, h.state, ind.sign * COUNT(*),
           ind.sign * SUM(h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL),
           ind.sign * SUM(h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL AND h.closed_at <= h.deadline_ms),
           ind.sign * SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL THEN h.closed_at - h.reported_at ELSE 0 END)
    FROM hazards h, (SELECT OLD.industry AS industry, -1 AS sign UNION ALL SELECT NEW.industry, 1) ind
    WHERE h.enterprise_id = NEW.id
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (street_code, month, industry, grade, state) DO UPDATE SET n = n + excluded.n,
        closed_with_deadline = closed_with_deadline + excluded.closed_with_deadline,
        closed_on_time = closed_on_time + excluded.closed_on_time, rectify_ms = rectify_ms + excluded.rectify_ms;
END;

-- Open hazards by deadline with what the overdue queries group by.
CREATE INDEX hazards_open_deadline ON hazards(deadline_ms, enterprise_id, region_code)
    WHERE state IN ('pending', 'rectifying', 'awaiting_acceptance');
