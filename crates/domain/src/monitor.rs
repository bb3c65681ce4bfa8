//! Monitoring rules and four-level warnings (M2, standards.md §7).
//!
//! A [`Rule`] is data: what to compute from a metric's readings (the value
//! itself, its change over a window, or its sum over a rolling window), four
//! thresholds (blue < yellow < orange < red in severity), a direction, how
//! long a condition must hold before it raises, how far it must recede before
//! it clears (hysteresis), and optional seasonal thresholds.
//!
//! [`RuleState::observe`] is pure: it takes one reading and returns what the
//! alarm should do. One active alarm per device × rule: it is raised once,
//! escalates while the condition worsens, never de-escalates, and clears when
//! the condition is gone.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Four-colour warning levels (预警四色), in rising severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Blue, Level::Yellow, Level::Orange, Level::Red];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Blue => "蓝色预警",
            Level::Yellow => "黄色预警",
            Level::Orange => "橙色预警",
            Level::Red => "红色预警",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The condition holds when the value is at or above the threshold.
    Above,
    /// The condition holds when the value is at or below the threshold.
    Below,
}

/// Thresholds per level; a missing level is not used. Severity must grow
/// with the level in the rule's direction (checked by [`Rule::validate`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Thresholds {
    pub blue: Option<f64>,
    pub yellow: Option<f64>,
    pub orange: Option<f64>,
    pub red: Option<f64>,
}

impl Thresholds {
    pub fn get(&self, l: Level) -> Option<f64> {
        match l {
            Level::Blue => self.blue,
            Level::Yellow => self.yellow,
            Level::Orange => self.orange,
            Level::Red => self.red,
        }
    }
}

/// What the thresholds are compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Measure {
    /// The reading itself (verticality ‰, gas %LEL, temperature °C …).
    Value,
    /// The change between the oldest reading within the window and now
    /// (e.g. tilt per day).
    Change { window_s: u32 },
    /// The sum of readings within the rolling window (e.g. 24-hour rainfall
    /// from a gauge reporting increments).
    Sum { window_s: u32 },
    /// Intervals the device has missed (evaluated by the maintenance job,
    /// not by readings; a reading clears it). The thresholds say after how
    /// many missed intervals each level is raised.
    Offline,
}

/// Different thresholds between two calendar days (inclusive, local
/// Asia/Shanghai date), e.g. summer. A range may wrap the year end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Season {
    pub name: String,
    /// (month, day)
    pub from: (u8, u8),
    pub to: (u8, u8),
    pub thresholds: Thresholds,
}

impl Season {
    pub fn contains(&self, md: (u8, u8)) -> bool {
        if self.from <= self.to { self.from <= md && md <= self.to } else { md >= self.from || md <= self.to }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub metric: String,
    pub measure: Measure,
    pub direction: Direction,
    pub thresholds: Thresholds,
    /// The condition must hold this long before an alarm is raised or escalated.
    #[serde(default)]
    pub min_duration_s: u32,
    /// To clear, the value must recede this far past the lowest threshold.
    #[serde(default)]
    pub hysteresis: f64,
    /// Whether reaching a threshold exactly counts (`≥`, the default, as
    /// "50.0 mm counts") or only passing it does (`>`, for limits written
    /// as "≤ 4/1000 allowed").
    #[serde(default = "yes")]
    pub inclusive: bool,
    #[serde(default)]
    pub seasons: Vec<Season>,
    /// Repeated alarms become a hazard (issue 6): the `count`-th alarm of the
    /// rule within `window_days` opens one through the hazard lifecycle.
    #[serde(default)]
    pub repeat_to_hazard: RepeatToHazard,
}

/// When repeated alarms of one rule become a hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatToHazard {
    /// Alarms within the window that open a hazard (2–100; default 3).
    pub count: u32,
    /// The window, in days (1–90; default 7).
    pub window_days: u32,
}

impl Default for RepeatToHazard {
    fn default() -> Self {
        RepeatToHazard { count: 3, window_days: 7 }
    }
}

/// Why a rule is not valid; `field` names the JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

fn rule_err(field: &str, message: &str) -> RuleError {
    RuleError { field: field.into(), message: message.into() }
}

fn check_thresholds(field: &str, t: &Thresholds, dir: Direction) -> Result<(), RuleError> {
    let present: Vec<(Level, f64)> = Level::ALL.iter().filter_map(|l| t.get(*l).map(|v| (*l, v))).collect();
    if present.is_empty() {
        return Err(rule_err(field, "至少需要一个级别的阈值"));
    }
    for (l, v) in &present {
        if !v.is_finite() {
            return Err(rule_err(&format!("{field}.{}", l.as_str()), "阈值必须是有限数"));
        }
    }
    for w in present.windows(2) {
        let ((_, a), (l, b)) = (w[0], w[1]);
        let ok = match dir {
            Direction::Above => b > a,
            Direction::Below => b < a,
        };
        if !ok {
            return Err(rule_err(&format!("{field}.{}", l.as_str()), "级别越高阈值应越严重"));
        }
    }
    Ok(())
}

impl Rule {
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.metric.trim().is_empty() {
            return Err(rule_err("metric", "指标不能为空"));
        }
        match &self.measure {
            Measure::Change { window_s } | Measure::Sum { window_s } if *window_s == 0 => {
                return Err(rule_err("measure.window_s", "窗口必须大于0秒"));
            }
            _ => {}
        }
        if !self.hysteresis.is_finite() || self.hysteresis < 0.0 {
            return Err(rule_err("hysteresis", "回差必须是非负数"));
        }
        if !(2..=100).contains(&self.repeat_to_hazard.count) {
            return Err(rule_err("repeat_to_hazard.count", "转为隐患的报警次数应为 2 到 100"));
        }
        if !(1..=90).contains(&self.repeat_to_hazard.window_days) {
            return Err(rule_err("repeat_to_hazard.window_days", "统计窗口应为 1 到 90 天"));
        }
        check_thresholds("thresholds", &self.thresholds, self.direction)?;
        for (i, s) in self.seasons.iter().enumerate() {
            let ok = |(m, d): (u8, u8)| (1..=12).contains(&m) && (1..=31).contains(&d);
            if !ok(s.from) || !ok(s.to) {
                return Err(rule_err(&format!("seasons[{i}]"), "日期应为有效的月、日"));
            }
            check_thresholds(&format!("seasons[{i}].thresholds"), &s.thresholds, self.direction)?;
        }
        Ok(())
    }

    /// The thresholds in force on a local calendar day.
    pub fn thresholds_on(&self, md: (u8, u8)) -> &Thresholds {
        self.seasons.iter().find(|s| s.contains(md)).map(|s| &s.thresholds).unwrap_or(&self.thresholds)
    }

    fn window_ms(&self) -> i64 {
        match self.measure {
            Measure::Value | Measure::Offline => 0,
            Measure::Change { window_s } | Measure::Sum { window_s } => i64::from(window_s) * 1000,
        }
    }

    fn meets(&self, x: f64, th: f64, margin: f64) -> bool {
        match (self.direction, self.inclusive) {
            (Direction::Above, true) => x >= th - margin,
            (Direction::Above, false) => x > th - margin,
            (Direction::Below, true) => x <= th + margin,
            (Direction::Below, false) => x < th + margin,
        }
    }

    /// The highest level whose threshold `x` meets (widened by `margin`).
    pub fn level_of(&self, x: f64, t: &Thresholds, margin: f64) -> Option<Level> {
        Level::ALL.iter().rev().copied().find(|l| t.get(*l).is_some_and(|th| self.meets(x, th, margin)))
    }
}

fn yes() -> bool {
    true
}

/// What an alarm should do after a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "level", rename_all = "snake_case")]
pub enum Decision {
    Raise(Level),
    Escalate(Level),
    Clear,
}

/// What a rule remembers about one device between readings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleState {
    /// Readings inside the window, oldest first (for change and sum).
    pub window: VecDeque<(i64, f64)>,
    /// Since when each level's condition has held without interruption.
    pub since: [Option<i64>; 4],
    /// The level of the active alarm, if any.
    pub active: Option<Level>,
    /// Time of the last reading (out-of-order readings are ignored).
    pub last_at: Option<i64>,
    /// The last computed measure (for display).
    pub last_measure: Option<f64>,
}

impl RuleState {
    /// Whether the two states decide the same future: the same window,
    /// since-times and active level (they may differ in the time of the
    /// last reading and the last measure, which only describe the past).
    pub fn same_course(&self, other: &RuleState) -> bool {
        self.window == other.window && self.since == other.since && self.active == other.active
    }

    /// Takes one reading (time in epoch ms, the local calendar day for
    /// seasonal thresholds) and returns the decision, if any.
    pub fn observe(&mut self, rule: &Rule, at_ms: i64, value: f64, local_md: (u8, u8)) -> Option<Decision> {
        if !value.is_finite() || self.last_at.is_some_and(|t| at_ms < t) {
            return None;
        }
        self.last_at = Some(at_ms);
        let w = rule.window_ms();
        self.window.push_back((at_ms, value));
        while self.window.front().is_some_and(|(t, _)| *t <= at_ms - w && w > 0) {
            self.window.pop_front();
        }
        if w == 0 {
            self.window.clear();
        }
        let x = match rule.measure {
            Measure::Value | Measure::Offline => value,
            Measure::Change { .. } => value - self.window.front().map(|(_, v)| *v).unwrap_or(value),
            Measure::Sum { .. } => self.window.iter().map(|(_, v)| v).sum::<f64>(),
        };
        self.last_measure = Some(x);
        let t = rule.thresholds_on(local_md);
        // Track, per level, since when its condition has held.
        for l in Level::ALL {
            let holds = t.get(l).is_some_and(|th| rule.meets(x, th, 0.0));
            let s = &mut self.since[l.index()];
            *s = if holds { Some(s.unwrap_or(at_ms)) } else { None };
        }
        let min = i64::from(rule.min_duration_s) * 1000;
        let raisable =
            Level::ALL.iter().rev().copied().find(|l| self.since[l.index()].is_some_and(|since| at_ms - since >= min));
        match (self.active, raisable) {
            (None, Some(l)) => {
                self.active = Some(l);
                Some(Decision::Raise(l))
            }
            (Some(a), Some(l)) if l > a => {
                self.active = Some(l);
                Some(Decision::Escalate(l))
            }
            (Some(_), _) => {
                // Clear only once no level holds even with the hysteresis margin.
                if rule.level_of(x, t, rule.hysteresis).is_none() {
                    self.active = None;
                    Some(Decision::Clear)
                } else {
                    None
                }
            }
            (None, None) => None,
        }
    }

    /// Forgets the active alarm (it was cleared by a person).
    pub fn reset(&mut self) {
        self.active = None;
        self.since = [None; 4];
    }
}

/// Offline detection: a device reporting every `interval_s` is offline once
/// `missed` intervals have passed without a reading.
pub fn is_offline(last_seen_ms: Option<i64>, now_ms: i64, interval_s: u32, missed: u32) -> bool {
    let limit = i64::from(interval_s) * 1000 * i64::from(missed.max(1));
    match last_seen_ms {
        Some(t) => now_ms - t > limit,
        None => false,
    }
}

/// Whole intervals missed since the last reading (0 when never seen).
pub fn missed_intervals(last_seen_ms: Option<i64>, now_ms: i64, interval_s: u32) -> f64 {
    match last_seen_ms {
        Some(t) if now_ms > t => ((now_ms - t) / (i64::from(interval_s.max(1)) * 1000)) as f64,
        _ => 0.0,
    }
}

impl Rule {
    /// Whether this rule watches the device's silence rather than a metric.
    pub fn is_offline(&self) -> bool {
        self.measure == Measure::Offline
    }
}

/// A named rule shipped with the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub key: String,
    pub name: String,
    pub device_type: String,
    pub basis: String,
    pub rule: Rule,
}

/// The shipped rule templates (data file `data/rule_templates.json`).
pub fn templates() -> Vec<Template> {
    serde_json::from_str(include_str!("../data/rule_templates.json")).expect("rule_templates.json is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;
    const WINTER: (u8, u8) = (1, 15);

    fn value_rule(min_s: u32, hyst: f64) -> Rule {
        Rule {
            metric: "verticality".into(),
            measure: Measure::Value,
            direction: Direction::Above,
            thresholds: Thresholds { blue: Some(2.0), yellow: Some(3.0), orange: Some(3.5), red: Some(4.0) },
            min_duration_s: min_s,
            hysteresis: hyst,
            inclusive: true,
            seasons: vec![],
            repeat_to_hazard: RepeatToHazard::default(),
        }
    }

    fn rainfall() -> Rule {
        templates().into_iter().find(|t| t.key == "mine_rainfall_24h").unwrap().rule
    }

    #[test]
    fn the_course_of_a_state_ignores_only_the_last_time_and_measure() {
        let rule = value_rule(60, 0.0);
        let mut s = RuleState::default();
        let start = s.clone();
        // Normal readings move only the last time and measure.
        assert_eq!(s.observe(&rule, H, 1.0, WINTER), None);
        assert_eq!(s.observe(&rule, H + 1_000, 1.5, WINTER), None);
        assert!(s.same_course(&start) && s != start);
        // A condition that starts to hold (not yet for the minimum duration) changes the course.
        let before = s.clone();
        assert_eq!(s.observe(&rule, H + 2_000, 4.2, WINTER), None);
        assert!(!s.same_course(&before));
        // A rolling sum changes its window with every reading.
        let sum = rainfall();
        let mut w = RuleState::default();
        let before = w.clone();
        w.observe(&sum, H, 0.5, WINTER);
        assert!(!w.same_course(&before));
    }

    #[test]
    fn templates_are_valid() {
        let ts = templates();
        assert!(ts.len() >= 5);
        for t in &ts {
            t.rule.validate().unwrap_or_else(|e| panic!("{}: {e}", t.key));
        }
        for key in [
            "tower_crane_verticality_free",
            "tower_crane_verticality_tied",
            "deep_pit_tilt",
            "deep_pit_tilt_rate",
            "mine_rainfall_24h",
            "equipment_temperature",
        ] {
            assert!(ts.iter().any(|t| t.key == key), "{key}");
        }
    }

    #[test]
    fn rainfall_50_mm_in_24_hours_is_red_and_49_9_is_not() {
        let r = rainfall();
        let mut s = RuleState::default();
        // 49.9 mm spread over 10 hours: orange at most, not red.
        for i in 0..10 {
            s.observe(&r, i * H, 4.99, WINTER);
        }
        assert!(s.active < Some(Level::Red), "{:?}", s.active);
        // 0.1 mm more within the window: exactly 50.0 → red.
        assert_eq!(s.observe(&r, 10 * H, 0.1, WINTER), Some(Decision::Escalate(Level::Red)));
        // 24 hours after the first rain the early readings leave the window.
        let d = s.observe(&r, 24 * H + 5 * H, 0.0, WINTER);
        assert!(s.last_measure.unwrap() < 50.0);
        assert!(d == Some(Decision::Clear) || d.is_none());
    }

    #[test]
    fn thresholds_are_inclusive_both_sides() {
        let r = value_rule(0, 0.0);
        let mut s = RuleState::default();
        assert_eq!(s.observe(&r, 0, 3.999, WINTER), Some(Decision::Raise(Level::Orange)));
        assert_eq!(s.observe(&r, 1, 4.0, WINTER), Some(Decision::Escalate(Level::Red)));
    }

    #[test]
    fn minimum_duration_delays_raising() {
        let r = value_rule(600, 0.0);
        let mut s = RuleState::default();
        assert_eq!(s.observe(&r, 0, 5.0, WINTER), None);
        assert_eq!(s.observe(&r, 300_000, 5.0, WINTER), None);
        assert_eq!(s.observe(&r, 600_000, 5.0, WINTER), Some(Decision::Raise(Level::Red)));
        // An interruption restarts the clock.
        let mut s = RuleState::default();
        s.observe(&r, 0, 5.0, WINTER);
        s.observe(&r, 300_000, 1.0, WINTER);
        assert_eq!(s.observe(&r, 600_000, 5.0, WINTER), None);
    }

    #[test]
    fn hysteresis_holds_the_alarm_until_the_value_recedes() {
        let r = value_rule(0, 0.5);
        let mut s = RuleState::default();
        s.observe(&r, 0, 2.2, WINTER);
        assert_eq!(s.active, Some(Level::Blue));
        assert_eq!(s.observe(&r, 1, 1.6, WINTER), None, "1.6 ≥ 2.0 − 0.5 still holds");
        assert_eq!(s.observe(&r, 2, 1.49, WINTER), Some(Decision::Clear));
    }

    #[test]
    fn seasonal_thresholds_apply_on_their_days() {
        let t = templates().into_iter().find(|t| t.key == "equipment_temperature").unwrap().rule;
        // Two minutes of persistence, as the template asks.
        let mut winter = RuleState::default();
        winter.observe(&t, 0, 57.0, (1, 10));
        assert_eq!(winter.observe(&t, 120_000, 57.0, (1, 10)), None, "57 °C is fine outside summer");
        let mut summer = RuleState::default();
        summer.observe(&t, 0, 57.0, (7, 10));
        assert_eq!(
            summer.observe(&t, 120_000, 57.0, (7, 10)),
            Some(Decision::Raise(Level::Yellow)),
            "57 °C warns in summer (55 °C)"
        );
        let wrap = Season { name: "冬".into(), from: (12, 1), to: (2, 28), thresholds: Thresholds::default() };
        assert!(wrap.contains((1, 5)) && wrap.contains((12, 31)) && !wrap.contains((6, 1)));
    }

    #[test]
    fn change_over_a_window() {
        let r = Rule {
            metric: "tilt".into(),
            measure: Measure::Change { window_s: 86_400 },
            direction: Direction::Above,
            thresholds: Thresholds { red: Some(1.0), ..Default::default() },
            min_duration_s: 0,
            hysteresis: 0.0,
            inclusive: true,
            seasons: vec![],
            repeat_to_hazard: RepeatToHazard::default(),
        };
        let mut s = RuleState::default();
        s.observe(&r, 0, 10.0, WINTER);
        assert_eq!(s.observe(&r, 12 * H, 10.5, WINTER), None);
        assert_eq!(s.observe(&r, 20 * H, 11.0, WINTER), Some(Decision::Raise(Level::Red)));
    }

    #[test]
    fn crane_limit_of_4_permille_is_allowed_exactly() {
        let r = templates().into_iter().find(|t| t.key == "tower_crane_verticality_free").unwrap().rule;
        let mut s = RuleState::default();
        // The template needs a minute of persistence.
        s.observe(&r, 0, 4.0, WINTER);
        s.observe(&r, 60_000, 4.0, WINTER);
        assert!(s.active < Some(Level::Red), "4/1000 is within the limit");
        s.observe(&r, 120_000, 4.01, WINTER);
        let d = s.observe(&r, 180_000, 4.01, WINTER);
        assert!(matches!(d, Some(Decision::Raise(Level::Red) | Decision::Escalate(Level::Red))), "{d:?}");
    }

    #[test]
    fn offline_after_missed_intervals() {
        assert!(!is_offline(Some(0), 180_000, 60, 3));
        assert!(is_offline(Some(0), 180_001, 60, 3));
        assert!(!is_offline(None, 1_000_000, 60, 3), "never seen is not offline, it is unregistered");
    }

    #[test]
    fn offline_rule_raises_on_missed_intervals_and_clears_on_a_reading() {
        let r = templates().into_iter().find(|t| t.key == "device_offline").unwrap().rule;
        assert!(r.is_offline());
        let mut s = RuleState::default();
        assert_eq!(missed_intervals(Some(0), 179_999, 60), 2.0);
        assert_eq!(s.observe(&r, 179_999, missed_intervals(Some(0), 179_999, 60), WINTER), None);
        assert_eq!(
            s.observe(&r, 180_000, missed_intervals(Some(0), 180_000, 60), WINTER),
            Some(Decision::Raise(Level::Yellow))
        );
        assert_eq!(
            s.observe(&r, 600_000, missed_intervals(Some(0), 600_000, 60), WINTER),
            Some(Decision::Escalate(Level::Orange))
        );
        assert_eq!(s.observe(&r, 610_000, 0.0, WINTER), Some(Decision::Clear), "the device reported again");
        assert_eq!(missed_intervals(None, 1_000_000, 60), 0.0);
    }

    #[test]
    fn invalid_rules_name_the_field() {
        let mut r = value_rule(0, 0.0);
        r.thresholds.orange = Some(5.0);
        assert_eq!(r.validate().unwrap_err().field, "thresholds.red");
        let mut r = value_rule(0, 0.0);
        r.hysteresis = -1.0;
        assert_eq!(r.validate().unwrap_err().field, "hysteresis");
        let mut r = value_rule(0, 0.0);
        r.thresholds = Thresholds::default();
        assert_eq!(r.validate().unwrap_err().field, "thresholds");
    }

    proptest! {
        /// One alarm at a time: raised once, then only escalations until a clear;
        /// levels never go down while active; decisions agree with the state.
        #[test]
        fn alarms_escalate_monotonically_and_clear_once(
            values in proptest::collection::vec(0.0f64..6.0, 1..200),
            min_s in 0u32..1200,
            hyst in 0.0f64..1.0,
        ) {
            let r = value_rule(min_s, hyst);
            let mut s = RuleState::default();
            let mut active: Option<Level> = None;
            for (i, v) in values.iter().enumerate() {
                let before = s.active;
                let d = s.observe(&r, i as i64 * 60_000, *v, WINTER);
                match d {
                    Some(Decision::Raise(l)) => { prop_assert!(active.is_none()); active = Some(l); }
                    Some(Decision::Escalate(l)) => { prop_assert!(active.is_some_and(|a| l > a)); active = Some(l); }
                    Some(Decision::Clear) => { prop_assert!(active.is_some()); active = None; }
                    None => prop_assert_eq!(s.active, before),
                }
                prop_assert_eq!(s.active, active);
                // A clear happens only when even the widened thresholds fail.
                if d == Some(Decision::Clear) { prop_assert!(*v < 2.0 - hyst); }
                // Nothing is raised below the lowest threshold.
                if matches!(d, Some(Decision::Raise(_) | Decision::Escalate(_))) { prop_assert!(*v >= 2.0); }
            }
        }

        /// The rolling sum equals the plain sum of the readings in the window.
        #[test]
        fn rolling_sum_matches_a_direct_sum(
            steps in proptest::collection::vec((1i64..7_200_000, 0.0f64..10.0), 1..100)
        ) {
            let r = rainfall();
            let mut s = RuleState::default();
            let mut t = 0i64;
            let mut all = Vec::new();
            for (dt, v) in steps {
                t += dt;
                all.push((t, v));
                s.observe(&r, t, v, WINTER);
                let direct: f64 = all.iter().filter(|(at, _)| *at > t - 86_400_000).map(|(_, v)| v).sum();
                prop_assert!((s.last_measure.unwrap() - direct).abs() < 1e-6);
            }
        }
    }
}
