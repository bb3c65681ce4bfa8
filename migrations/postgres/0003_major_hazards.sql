-- Major hazards (H5): the seven-part governance plan, 挂牌督办 listing, and
-- the regulator's re-check within 10 days of the close-out application.
CREATE TABLE hazard_plans (
    hazard_id TEXT COLLATE "C" PRIMARY KEY REFERENCES hazards(id),
    objective TEXT NOT NULL,
    methods TEXT NOT NULL,
    funds TEXT NOT NULL,
    responsible TEXT NOT NULL,
    deadline_on TEXT NOT NULL,
    safety_measures TEXT NOT NULL,
    emergency_plan TEXT NOT NULL,
    submitted_by TEXT,
    submitted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE hazard_listings (
    hazard_id TEXT COLLATE "C" PRIMARY KEY REFERENCES hazards(id),
    level TEXT NOT NULL,
    note TEXT NOT NULL,
    listed_by TEXT,
    listed_at BIGINT NOT NULL,
    delisted_at BIGINT
);

ALTER TABLE hazards ADD COLUMN closeout_applied_at BIGINT;
ALTER TABLE hazards ADD COLUMN rechecked_at BIGINT;
