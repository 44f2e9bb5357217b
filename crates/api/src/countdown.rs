//! The passwordless-registration countdown, computed from the server's
//! deadline and the server's clock so a skewed or reloaded client still shows
//! the true time left.

use chrono::{DateTime, Duration, Utc};

/// Seconds before the deadline at which the app warns the user.
pub const WARN_BELOW_SECONDS: i64 = 120;

/// The offset between the server's clock and the client's, measured once
/// when the session is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSkew(Duration);

impl ClockSkew {
    pub fn measure(server_time: DateTime<Utc>, client_time: DateTime<Utc>) -> Self {
        Self(server_time - client_time)
    }

    /// What the server's clock reads when the client's reads `client_now`.
    pub fn server_now(self, client_now: DateTime<Utc>) -> DateTime<Utc> {
        client_now + self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Open,
    Warning,
    Closed,
}

/// What the countdown shows at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub seconds: i64,
}

impl Remaining {
    pub fn at(deadline: DateTime<Utc>, skew: ClockSkew, client_now: DateTime<Utc>) -> Self {
        let left = deadline - skew.server_now(client_now);
        // Rounded up: the countdown reads 0:00 (closed) only once the deadline
        // has passed, never while the server would still accept a passkey.
        Self {
            seconds: (left.num_milliseconds() + 999).div_euclid(1000).max(0),
        }
    }

    pub fn phase(self) -> Phase {
        match self.seconds {
            0 => Phase::Closed,
            s if s <= WARN_BELOW_SECONDS => Phase::Warning,
            _ => Phase::Open,
        }
    }

    /// `m:ss`, as the visible timer shows it.
    pub fn clock_text(self) -> String {
        format!("{}:{:02}", self.seconds / 60, self.seconds % 60)
    }

    /// Whole minutes left, rounded up, which is what screen readers are told:
    /// the announcement changes only at minute boundaries.
    pub fn minutes_to_announce(self) -> i64 {
        (self.seconds + 59) / 60
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_window_closes_only_once_the_deadline_has_passed() {
        let skew = ClockSkew::measure(t(0), t(0));
        let just_before = t(600) - chrono::Duration::milliseconds(100);
        assert_eq!(
            Remaining::at(t(600), skew, just_before).phase(),
            Phase::Warning
        );
        assert_eq!(Remaining::at(t(600), skew, t(600)).phase(), Phase::Closed);
    }

    #[test]
    fn a_client_clock_an_hour_fast_still_shows_the_servers_time_left() {
        let deadline = t(600);
        let skew = ClockSkew::measure(t(0), t(3600));
        let left = Remaining::at(deadline, skew, t(3600 + 30));
        assert_eq!(left.seconds, 570);
        assert_eq!(left.clock_text(), "9:30");
    }

    #[test]
    fn after_a_reload_the_countdown_continues_from_the_server_deadline() {
        let deadline = t(600);
        let skew = ClockSkew::measure(t(400), t(400));
        assert_eq!(Remaining::at(deadline, skew, t(400)).seconds, 200);
    }

    #[test]
    fn warning_starts_two_minutes_before_and_closed_at_zero() {
        let skew = ClockSkew::measure(t(0), t(0));
        assert_eq!(Remaining::at(t(600), skew, t(479)).phase(), Phase::Open);
        assert_eq!(Remaining::at(t(600), skew, t(480)).phase(), Phase::Warning);
        assert_eq!(Remaining::at(t(600), skew, t(600)).phase(), Phase::Closed);
        assert_eq!(Remaining::at(t(600), skew, t(900)).seconds, 0);
    }

    #[test]
    fn announcements_change_only_at_minute_boundaries() {
        let skew = ClockSkew::measure(t(0), t(0));
        let at = |s| Remaining::at(t(600), skew, t(s)).minutes_to_announce();
        assert_eq!(at(0), 10);
        assert_eq!(at(1), 10);
        assert_eq!(at(59), 10);
        assert_eq!(at(60), 9);
        assert_eq!(at(599), 1);
        assert_eq!(at(600), 0);
    }
}
