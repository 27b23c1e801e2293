//! terraform-plugin-sdk's `retry.StateChangeConf` polling schedule
//! (`helper/retry/state.go`, `WaitForStateContext`), as the waiters of
//! terraform-provider-aws configure it: sleep `Delay`, refresh at once,
//! then sleep `wait` between refreshes, where `wait` starts at 100 ms and
//! doubles before each sleep (so the first gap is 200 ms), bounded below by
//! `MinTimeout` and above by 10 s, or is `PollInterval` when one is set. A
//! waiter with `ContinuousTargetOccurence` n needs n refreshes in a row
//! that see the target (no doubling between them).

/// One waiter's parameters, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waiter {
    pub delay: f64,
    pub min_timeout: f64,
    /// `PollInterval` (0: unset, the doubling schedule).
    pub poll_interval: f64,
    /// `ContinuousTargetOccurence` (the SDK treats 0 as 1).
    pub occurrences: u32,
}

/// The SDK's upper bound on the doubling wait.
const MAX_WAIT: f64 = 10.0;

impl Waiter {
    /// `Delay`, `MinTimeout`, no `PollInterval`, one target occurrence.
    pub const fn new(delay: f64, min_timeout: f64) -> Waiter {
        Waiter {
            delay,
            min_timeout,
            poll_interval: 0.0,
            occurrences: 1,
        }
    }

    /// How a wait that starts at 0 for an object ready at `ready_after`
    /// goes: (when the waiter returns, how many refreshes it made).
    pub fn run(&self, ready_after: f64) -> (f64, u64) {
        let needed = self.occurrences.max(1);
        let mut t = self.delay;
        let mut wait = 0.1_f64;
        let mut seen = 0;
        let mut refreshes = 0;
        loop {
            refreshes += 1;
            if t + 1e-9 >= ready_after {
                seen += 1;
                if seen >= needed {
                    return (t, refreshes);
                }
            } else {
                seen = 0;
                wait *= 2.0;
            }
            wait = if self.poll_interval > 0.0 {
                self.poll_interval
            } else {
                wait.max(self.min_timeout).min(MAX_WAIT)
            };
            t += wait;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_before_the_delay_costs_one_refresh() {
        assert_eq!(Waiter::new(30.0, 10.0).run(5.0), (30.0, 1));
    }

    #[test]
    fn min_timeout_sets_every_gap() {
        // 30, 40, 50, 60: a 55 s object is seen at 60 s, on the 4th refresh.
        assert_eq!(Waiter::new(30.0, 10.0).run(55.0), (60.0, 4));
    }

    #[test]
    fn doubling_from_200_ms_up_to_10_s() {
        // Refreshes at 0, 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 22.6, 32.6 ...
        let (t, n) = Waiter::new(0.0, 0.0).run(20.0);
        assert!((t - 22.6).abs() < 1e-9, "{t}");
        assert_eq!(n, 8);
        let (t, n) = Waiter::new(0.0, 0.0).run(90.0);
        assert!((t - 92.6).abs() < 1e-9, "{t}");
        assert_eq!(n, 15);
    }

    #[test]
    fn continuous_occurrences_add_polls_after_the_target() {
        let w = Waiter {
            delay: 60.0,
            min_timeout: 0.0,
            poll_interval: 10.0,
            occurrences: 3,
        };
        // 60, 70 pending; 80, 90, 100 gone.
        assert_eq!(w.run(75.0), (100.0, 5));
    }
}
