//! The hazard lifecycle (H4, H6, H7) as an explicit state machine:
//!
//! ```text
//!  reported ──dispatch──▶ pending(待整改) ──start──▶ rectifying(整改中)
//!     │  ▲                   │   ▲                      │      ▲
//!  dismiss└──dispute─────────┘   └──reassign────────────┤      │ reject
//!     ▼                                             submit│      │
//!  dismissed                                             ▼      │
//!                                     awaiting_acceptance(待验收)─┘
//!                                                        │ accept
//!                                                        ▼
//!                                                  closed(已销号)
//! ```
//!
//! `transition` is the only way to change a state; it checks both the event
//! and who may cause it. Deadlines, extensions and escalation levels travel
//! alongside in [`HazardStatus`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 已上报: received, waiting for classification and dispatch.
    Reported,
    /// 待整改: dispatched to the responsible unit, work not started.
    Pending,
    /// 整改中
    Rectifying,
    /// 待验收: the unit has accepted its own work and asks for the re-check.
    AwaitingAcceptance,
    /// 已销号
    Closed,
    /// 不予受理: not a hazard, a duplicate, or not verifiable.
    Dismissed,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Reported,
        State::Pending,
        State::Rectifying,
        State::AwaitingAcceptance,
        State::Closed,
        State::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Pending => "pending",
            State::Rectifying => "rectifying",
            State::AwaitingAcceptance => "awaiting_acceptance",
            State::Closed => "closed",
            State::Dismissed => "dismissed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Reported => "已上报",
            State::Pending => "待整改",
            State::Rectifying => "整改中",
            State::AwaitingAcceptance => "待验收",
            State::Closed => "已销号",
            State::Dismissed => "不予受理",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, State::Closed | State::Dismissed)
    }

    /// Open hazards count towards "in progress" and can become overdue.
    pub fn is_open(self) -> bool {
        matches!(self, State::Pending | State::Rectifying | State::AwaitingAcceptance)
    }
}

/// Who causes an event. The app maps roles onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The responsible enterprise (head or staff).
    Enterprise,
    /// A regulator of the hazard's region.
    Regulator,
    /// The scheduler (reminders, escalation).
    System,
}

/// Hazard grade (事故隐患分级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    General,
    Major,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::General => "general",
            Grade::Major => "major",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Grade::General => "一般事故隐患",
            Grade::Major => "重大事故隐患",
        }
    }
    pub fn parse(s: &str) -> Option<Grade> {
        match s {
            "general" => Some(Grade::General),
            "major" => Some(Grade::Major),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Assign to the responsible unit with a deadline (epoch ms).
    Dispatch {
        deadline_ms: i64,
    },
    /// Not a hazard / duplicate.
    Dismiss,
    /// The unit starts rectifying.
    Start,
    /// The unit says the hazard is not theirs; it goes back for re-dispatch.
    Dispute,
    /// A regulator gives it to another unit or officer, with a new deadline.
    Reassign {
        deadline_ms: i64,
    },
    /// The unit asks for more time (延期申请).
    RequestExtension {
        until_ms: i64,
    },
    ApproveExtension,
    RefuseExtension,
    /// Self-acceptance done; asks for the professional re-check (销号申请).
    Submit,
    /// The re-check passes: 销号.
    Accept,
    /// The re-check fails: back to 整改中.
    Reject,
    /// Overdue: raise to the next supervisory level.
    Escalate,
}

impl Event {
    /// Whether the public tracking page shows this event (a public
    /// reporter follows dispatch, work and acceptance, not internal steps).
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Event::Dispatch { .. } | Event::Dismiss | Event::Start | Event::Submit | Event::Accept | Event::Reject
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Event::Dispatch { .. } => "dispatch",
            Event::Dismiss => "dismiss",
            Event::Start => "start",
            Event::Dispute => "dispute",
            Event::Reassign { .. } => "reassign",
            Event::RequestExtension { .. } => "request_extension",
            Event::ApproveExtension => "approve_extension",
            Event::RefuseExtension => "refuse_extension",
            Event::Submit => "submit",
            Event::Accept => "accept",
            Event::Reject => "reject",
            Event::Escalate => "escalate",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Event::Dispatch { .. } => "派发整改",
            Event::Dismiss => "不予受理",
            Event::Start => "开始整改",
            Event::Dispute => "提出异议",
            Event::Reassign { .. } => "重新指派",
            Event::RequestExtension { .. } => "申请延期",
            Event::ApproveExtension => "批准延期",
            Event::RefuseExtension => "驳回延期",
            Event::Submit => "申请验收销号",
            Event::Accept => "验收通过（销号）",
            Event::Reject => "验收不通过",
            Event::Escalate => "超期升级",
        }
    }
}

/// What travels with the state: deadline, a pending extension request and
/// how many times the hazard was escalated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardStatus {
    pub state: State,
    pub deadline_ms: Option<i64>,
    pub extension_requested_until_ms: Option<i64>,
    pub escalation_level: u8,
}

impl HazardStatus {
    pub fn new() -> HazardStatus {
        HazardStatus {
            state: State::Reported,
            deadline_ms: None,
            extension_requested_until_ms: None,
            escalation_level: 0,
        }
    }

    /// Overdue: open and past its deadline.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        self.state.is_open() && self.deadline_ms.is_some_and(|d| now_ms > d)
    }
}

impl Default for HazardStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("当前状态“{state}”下不能执行“{event}”")]
    InvalidInState { state: &'static str, event: &'static str },
    #[error("“{event}”不能由该方执行")]
    WrongParty { event: &'static str },
    #[error("{0}")]
    Invalid(&'static str),
}

/// The highest escalation level (grid → street → district → city).
pub const MAX_ESCALATION: u8 = 3;

/// Applies `event` caused by `party` at `now_ms`. Pure: returns the new
/// status or why the event is not allowed.
pub fn transition(s: &HazardStatus, event: &Event, party: Party, now_ms: i64) -> Result<HazardStatus, TransitionError> {
    use Event as E;
    use State as S;
    let bad_state = || TransitionError::InvalidInState { state: s.state.label(), event: event.label() };
    let only = |p: &[Party]| {
        if p.contains(&party) { Ok(()) } else { Err(TransitionError::WrongParty { event: event.label() }) }
    };
    let mut n = s.clone();
    match (s.state, event) {
        (S::Reported, E::Dispatch { deadline_ms }) => {
            only(&[Party::Regulator])?;
            if *deadline_ms <= now_ms {
                return Err(TransitionError::Invalid("整改期限必须晚于当前时间"));
            }
            n.state = S::Pending;
            n.deadline_ms = Some(*deadline_ms);
        }
        (S::Reported, E::Dismiss) => {
            only(&[Party::Regulator])?;
            n.state = S::Dismissed;
        }
        (S::Pending, E::Start) => {
            only(&[Party::Enterprise, Party::Regulator])?;
            n.state = S::Rectifying;
        }
        (S::Pending, E::Dispute) => {
            only(&[Party::Enterprise])?;
            n.state = S::Reported;
            n.deadline_ms = None;
            n.extension_requested_until_ms = None;
        }
        (S::Pending | S::Rectifying, E::Reassign { deadline_ms }) => {
            only(&[Party::Regulator])?;
            if *deadline_ms <= now_ms {
                return Err(TransitionError::Invalid("整改期限必须晚于当前时间"));
            }
            n.state = S::Pending;
            n.deadline_ms = Some(*deadline_ms);
            n.extension_requested_until_ms = None;
        }
        (S::Pending | S::Rectifying, E::RequestExtension { until_ms }) => {
            only(&[Party::Enterprise])?;
            if s.extension_requested_until_ms.is_some() {
                return Err(TransitionError::Invalid("已有待审批的延期申请"));
            }
            if s.deadline_ms.is_some_and(|d| *until_ms <= d) {
                return Err(TransitionError::Invalid("延期后的期限必须晚于原期限"));
            }
            n.extension_requested_until_ms = Some(*until_ms);
        }
        (S::Pending | S::Rectifying, E::ApproveExtension) => {
            only(&[Party::Regulator])?;
            let until = s.extension_requested_until_ms.ok_or(TransitionError::Invalid("没有待审批的延期申请"))?;
            n.deadline_ms = Some(until);
            n.extension_requested_until_ms = None;
        }
        (S::Pending | S::Rectifying, E::RefuseExtension) => {
            only(&[Party::Regulator])?;
            if s.extension_requested_until_ms.is_none() {
                return Err(TransitionError::Invalid("没有待审批的延期申请"));
            }
            n.extension_requested_until_ms = None;
        }
        (S::Rectifying, E::Submit) => {
            only(&[Party::Enterprise, Party::Regulator])?;
            n.state = S::AwaitingAcceptance;
            n.extension_requested_until_ms = None;
        }
        (S::AwaitingAcceptance, E::Accept) => {
            only(&[Party::Regulator])?;
            n.state = S::Closed;
        }
        (S::AwaitingAcceptance, E::Reject) => {
            only(&[Party::Regulator])?;
            n.state = S::Rectifying;
        }
        (S::Pending | S::Rectifying | S::AwaitingAcceptance, E::Escalate) => {
            only(&[Party::System])?;
            if !s.is_overdue(now_ms) {
                return Err(TransitionError::Invalid("未超期，不能升级"));
            }
            if s.escalation_level >= MAX_ESCALATION {
                return Err(TransitionError::Invalid("已升级到最高层级"));
            }
            n.escalation_level += 1;
        }
        _ => return Err(bad_state()),
    }
    Ok(n)
}

/// The events that make sense in a state (for building action buttons).
pub fn available_events(state: State) -> &'static [&'static str] {
    match state {
        State::Reported => &["dispatch", "dismiss"],
        State::Pending => {
            &["start", "dispute", "reassign", "request_extension", "approve_extension", "refuse_extension"]
        }
        State::Rectifying => &["submit", "reassign", "request_extension", "approve_extension", "refuse_extension"],
        State::AwaitingAcceptance => &["accept", "reject"],
        State::Closed | State::Dismissed => &[],
    }
}

/// The actions `party` may take on a hazard in status `s` now: the events of
/// [`available_events`] that [`transition`] accepts (probed with a deadline
/// or extension one day ahead where the event takes one).
pub fn actions_for(s: &HazardStatus, party: Party, now_ms: i64) -> Vec<&'static str> {
    const DAY_MS: i64 = 86_400_000;
    let ahead = s.deadline_ms.unwrap_or(now_ms).max(now_ms) + DAY_MS;
    available_events(s.state)
        .iter()
        .copied()
        .filter(|name| {
            let ev = match *name {
                "dispatch" => Event::Dispatch { deadline_ms: ahead },
                "reassign" => Event::Reassign { deadline_ms: ahead },
                "request_extension" => Event::RequestExtension { until_ms: ahead },
                "dismiss" => Event::Dismiss,
                "start" => Event::Start,
                "dispute" => Event::Dispute,
                "approve_extension" => Event::ApproveExtension,
                "refuse_extension" => Event::RefuseExtension,
                "submit" => Event::Submit,
                "accept" => Event::Accept,
                "reject" => Event::Reject,
                _ => return false,
            };
            transition(s, &ev, party, now_ms).is_ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_party_is_offered_only_what_it_may_do() {
        let pending = run(&[(Event::Dispatch { deadline_ms: NOW + 7 * DAY }, Party::Regulator)]).unwrap();
        assert_eq!(actions_for(&pending, Party::Enterprise, NOW), ["start", "dispute", "request_extension"]);
        assert_eq!(actions_for(&pending, Party::Regulator, NOW), ["start", "reassign"]);
        let asked =
            transition(&pending, &Event::RequestExtension { until_ms: NOW + 9 * DAY }, Party::Enterprise, NOW).unwrap();
        assert_eq!(
            actions_for(&asked, Party::Regulator, NOW),
            ["start", "reassign", "approve_extension", "refuse_extension"]
        );
        assert_eq!(actions_for(&asked, Party::Enterprise, NOW), ["start", "dispute"]);
        assert_eq!(actions_for(&HazardStatus::new(), Party::Enterprise, NOW), Vec::<&str>::new());
        assert_eq!(actions_for(&HazardStatus::new(), Party::Regulator, NOW), ["dispatch", "dismiss"]);
    }

    const NOW: i64 = 1_800_000_000_000;
    const DAY: i64 = 86_400_000;

    fn run(events: &[(Event, Party)]) -> Result<HazardStatus, TransitionError> {
        events.iter().try_fold(HazardStatus::new(), |s, (e, p)| transition(&s, e, *p, NOW))
    }

    #[test]
    fn the_happy_path_closes() {
        let s = run(&[
            (Event::Dispatch { deadline_ms: NOW + 7 * DAY }, Party::Regulator),
            (Event::Start, Party::Enterprise),
            (Event::Submit, Party::Enterprise),
            (Event::Reject, Party::Regulator),
            (Event::Submit, Party::Enterprise),
            (Event::Accept, Party::Regulator),
        ])
        .unwrap();
        assert_eq!(s.state, State::Closed);
    }

    #[test]
    fn enterprises_cannot_accept_their_own_work() {
        let s = run(&[
            (Event::Dispatch { deadline_ms: NOW + DAY }, Party::Regulator),
            (Event::Start, Party::Enterprise),
            (Event::Submit, Party::Enterprise),
        ])
        .unwrap();
        assert!(matches!(
            transition(&s, &Event::Accept, Party::Enterprise, NOW),
            Err(TransitionError::WrongParty { .. })
        ));
    }

    #[test]
    fn extensions_move_the_deadline_only_when_approved() {
        let s = run(&[
            (Event::Dispatch { deadline_ms: NOW + DAY }, Party::Regulator),
            (Event::RequestExtension { until_ms: NOW + 5 * DAY }, Party::Enterprise),
        ])
        .unwrap();
        assert_eq!(s.deadline_ms, Some(NOW + DAY));
        let refused = transition(&s, &Event::RefuseExtension, Party::Regulator, NOW).unwrap();
        assert_eq!((refused.deadline_ms, refused.extension_requested_until_ms), (Some(NOW + DAY), None));
        let approved = transition(&s, &Event::ApproveExtension, Party::Regulator, NOW).unwrap();
        assert_eq!(approved.deadline_ms, Some(NOW + 5 * DAY));
        assert!(transition(&s, &Event::RequestExtension { until_ms: NOW + 9 * DAY }, Party::Enterprise, NOW).is_err());
        let short = run(&[(Event::Dispatch { deadline_ms: NOW + DAY }, Party::Regulator)]).unwrap();
        assert!(transition(&short, &Event::RequestExtension { until_ms: NOW + DAY }, Party::Enterprise, NOW).is_err());
    }

    #[test]
    fn escalation_only_when_overdue_and_capped() {
        let mut s = run(&[(Event::Dispatch { deadline_ms: NOW + DAY }, Party::Regulator)]).unwrap();
        assert!(transition(&s, &Event::Escalate, Party::System, NOW + DAY).is_err(), "at the deadline is not overdue");
        for level in 1..=MAX_ESCALATION {
            s = transition(&s, &Event::Escalate, Party::System, NOW + 2 * DAY).unwrap();
            assert_eq!(s.escalation_level, level);
        }
        assert!(transition(&s, &Event::Escalate, Party::System, NOW + 2 * DAY).is_err());
    }

    #[test]
    fn dispute_returns_for_redispatch() {
        let s =
            run(&[(Event::Dispatch { deadline_ms: NOW + DAY }, Party::Regulator), (Event::Dispute, Party::Enterprise)])
                .unwrap();
        assert_eq!((s.state, s.deadline_ms), (State::Reported, None));
    }

    #[test]
    fn state_names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }

    fn any_event() -> impl Strategy<Value = Event> {
        prop_oneof![
            (-DAY..30 * DAY).prop_map(|d| Event::Dispatch { deadline_ms: NOW + d }),
            Just(Event::Dismiss),
            Just(Event::Start),
            Just(Event::Dispute),
            (-DAY..30 * DAY).prop_map(|d| Event::Reassign { deadline_ms: NOW + d }),
            (0..60 * DAY).prop_map(|d| Event::RequestExtension { until_ms: NOW + d }),
            Just(Event::ApproveExtension),
            Just(Event::RefuseExtension),
            Just(Event::Submit),
            Just(Event::Accept),
            Just(Event::Reject),
            Just(Event::Escalate),
        ]
    }

    fn any_party() -> impl Strategy<Value = Party> {
        prop_oneof![Just(Party::Enterprise), Just(Party::Regulator), Just(Party::System)]
    }

    proptest! {
        /// No sequence of events, accepted or refused, reaches an invalid status.
        #[test]
        fn no_event_sequence_reaches_an_invalid_state(
            steps in proptest::collection::vec((any_event(), any_party(), 0..40 * DAY), 0..40)
        ) {
            let mut s = HazardStatus::new();
            for (e, p, dt) in steps {
                let before = s.clone();
                match transition(&s, &e, p, NOW + dt) {
                    Ok(n) => {
                        // Terminal states are final.
                        prop_assert!(!before.state.is_terminal());
                        // Dispatched states always carry a deadline; reported never does.
                        if n.state.is_open() { prop_assert!(n.deadline_ms.is_some()); }
                        if n.state == State::Reported { prop_assert!(n.deadline_ms.is_none()); }
                        // An extension request only exists while work is open.
                        if n.extension_requested_until_ms.is_some() {
                            prop_assert!(matches!(n.state, State::Pending | State::Rectifying));
                        }
                        prop_assert!(n.escalation_level <= MAX_ESCALATION);
                        prop_assert!(n.escalation_level >= before.escalation_level);
                        // Only regulators close or dismiss.
                        if n.state != before.state && n.state.is_terminal() {
                            prop_assert_eq!(p, Party::Regulator);
                        }
                        // The event is listed as available in the state it left.
                        prop_assert!(available_events(before.state).contains(&e.name()) || e.name() == "escalate");
                        s = n;
                    }
                    Err(_) => prop_assert_eq!(&s, &before),
                }
            }
        }

        /// Closed is reachable only through acceptance of a submitted hazard.
        #[test]
        fn closed_only_via_accept(
            steps in proptest::collection::vec((any_event(), any_party()), 0..30)
        ) {
            let mut s = HazardStatus::new();
            for (e, p) in steps {
                if let Ok(n) = transition(&s, &e, p, NOW) {
                    if n.state == State::Closed && s.state != State::Closed {
                        prop_assert_eq!(s.state, State::AwaitingAcceptance);
                        prop_assert_eq!(e.clone(), Event::Accept);
                    }
                    s = n;
                }
            }
        }
    }
}
