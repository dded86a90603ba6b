//! What a limit is called and what its refusal says: shared by the rate limits
//! ([`super::ratelimit`]) and the limits on failures ([`super::failures`]).

use std::fmt;
use std::time::Duration;

/// How often limiters forget keys whose bucket is full again: without it every visitor and IP
/// ever seen would stay in memory.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `send` frames of one visitor.
    Messages,
    /// `set_contact` and `identify` frames of one visitor.
    Changes,
    /// Client frames of any type of one visitor.
    Frames,
    /// Visitors created from one IP address.
    NewVisitors,
    /// Failed operator logins from one IP address.
    LoginsPerIp,
    /// Failed operator logins for one e-mail.
    LoginsPerAccount,
    /// Replies of one operator account.
    Replies,
    /// Operator WebSocket frames of one account, all its sockets together.
    OperatorFrames,
}

impl Limit {
    /// Its name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Changes => "changes",
            Self::Frames => "frames",
            Self::NewVisitors => "new_visitors",
            Self::LoginsPerIp => "logins_per_ip",
            Self::LoginsPerAccount => "logins_per_account",
            Self::Replies => "replies",
            Self::OperatorFrames => "operator_frames",
        }
    }

    /// What is counted, as the refusal says it.
    fn what(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Changes => "contact changes and identifications",
            Self::Frames => "frames",
            Self::NewVisitors => "new visitors from this address",
            Self::LoginsPerIp => "failed logins from this address",
            Self::LoginsPerAccount => "failed logins for this account",
            Self::Replies => "replies",
            Self::OperatorFrames => "frames",
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    pub per_minute: u32,
    pub burst: u32,
    /// When the next request of this key would pass (at least a millisecond).
    pub retry_after: Duration,
}

impl Refusal {
    pub fn retry_after_ms(&self) -> u64 {
        u64::try_from(self.retry_after.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "too many {}: at most {} per minute (bursts of {})",
            self.limit.what(),
            self.per_minute,
            self.burst
        )
    }
}
