//! What rendering one page may cost: a template that loops or recurses without end (two nested
//! `range(end=100000)`, a component that calls itself ten times at every level down to Tera's
//! depth limit) fails its page instead of running for hours. Three limits, each checked where
//! it costs nothing on an ordinary page: the bytes a page writes and the time it takes (both in
//! the writer Tera renders into, the clock read only every `CHECK_EVERY` bytes or writes), and
//! the items `range()` makes for it (a loop that writes nothing passes no writer).

use std::cell::Cell;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use tera::{Kwargs, State, TeraResult};

use crate::diagnostics::thousands;

/// What rendering one page may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub bytes: usize,
    pub time: Duration,
    /// Items made by every `range()` of the page together.
    pub range_items: usize,
}

impl Limits {
    /// The limits of every page: far above what a site's largest page (the list of all its
    /// articles) costs, far below hours.
    pub const PAGE: Limits = Limits {
        bytes: 64 * 1024 * 1024,
        time: Duration::from_secs(10),
        range_items: 1_000_000,
    };
}

/// Which limit a page went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Bytes,
    Time,
    RangeItems,
}

impl Exceeded {
    /// What the page did, for the message: "wrote more than 64 MiB".
    pub fn said(self, limits: &Limits) -> String {
        match self {
            Exceeded::Bytes => format!("wrote more than {} MiB", limits.bytes / (1024 * 1024)),
            Exceeded::Time => format!("took more than {} s", limits.time.as_secs()),
            Exceeded::RangeItems => format!(
                "asked `range()` for more than {} items in all",
                thousands(limits.range_items)
            ),
        }
    }
}

/// How much writing passes between two looks at the clock: a write counts its bytes plus
/// `WRITE_COST`, so that many tiny writes count too.
const CHECK_EVERY: usize = 256 * 1024;
const WRITE_COST: usize = 16;

/// The page as Tera writes it, within the limits: a write past one fails, and so does every
/// write after it.
pub struct PageWriter {
    pub bytes: Vec<u8>,
    limits: Limits,
    deadline: Instant,
    /// Writing left before the next look at the clock and the size.
    until_check: usize,
    pub exceeded: Option<Exceeded>,
}

impl PageWriter {
    pub fn new(capacity: usize, limits: Limits, started: Instant) -> Self {
        PageWriter {
            bytes: Vec::with_capacity(capacity.min(limits.bytes)),
            limits,
            deadline: started + limits.time,
            until_check: CHECK_EVERY,
            exceeded: None,
        }
    }

    fn check(&mut self) -> io::Result<()> {
        self.until_check = CHECK_EVERY;
        if self.bytes.len() > self.limits.bytes {
            self.exceeded = Some(Exceeded::Bytes);
        } else if Instant::now() > self.deadline {
            self.exceeded = Some(Exceeded::Time);
        }
        match self.exceeded {
            Some(_) => Err(past_budget()),
            None => Ok(()),
        }
    }
}

/// Tera keeps only the kind of a writer's error: `PageWriter::exceeded` says which limit.
fn past_budget() -> io::Error {
    io::Error::other("the page went past its rendering budget")
}

impl Write for PageWriter {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    // Tera writes a page in many small pieces: this must stay as cheap as writing to a `Vec`.
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.exceeded.is_some() {
            return Err(past_budget());
        }
        self.bytes.extend_from_slice(buf);
        let cost = buf.len() + WRITE_COST;
        if cost >= self.until_check {
            return self.check();
        }
        self.until_check -= cost;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What `range()` may still make for the page being rendered on this thread, and until when.
#[derive(Clone, Copy)]
struct RangeBudget {
    items_left: usize,
    deadline: Instant,
    exceeded: Option<Exceeded>,
}

thread_local! {
    /// Set while a page renders: Tera renders one page on one thread from start to end, and
    /// gives functions no other way to know which page they serve.
    static RANGE_BUDGET: Cell<Option<RangeBudget>> = const { Cell::new(None) };
}

/// The range budget of the page rendering on this thread, until dropped.
pub struct RangeGuard;

impl RangeGuard {
    pub fn start(limits: &Limits, started: Instant) -> RangeGuard {
        RANGE_BUDGET.set(Some(RangeBudget {
            items_left: limits.range_items,
            deadline: started + limits.time,
            exceeded: None,
        }));
        RangeGuard
    }

    /// The limit `range()` went past, if it did.
    pub fn exceeded(&self) -> Option<Exceeded> {
        RANGE_BUDGET.get().and_then(|budget| budget.exceeded)
    }
}

impl Drop for RangeGuard {
    fn drop(&mut self) {
        RANGE_BUDGET.set(None);
    }
}

/// Charges `items` to the page rendering on this thread, if any, and looks at the clock.
fn charge(items: usize) -> TeraResult<()> {
    let Some(mut budget) = RANGE_BUDGET.get() else {
        return Ok(());
    };
    if items > budget.items_left {
        budget.exceeded = Some(Exceeded::RangeItems);
    } else if Instant::now() > budget.deadline {
        budget.exceeded = Some(Exceeded::Time);
    }
    budget.items_left = budget.items_left.saturating_sub(items);
    RANGE_BUDGET.set(Some(budget));
    match budget.exceeded {
        Some(Exceeded::Time) => Err(tera::Error::message(
            "the page took too long to render: `range()` was called past its deadline",
        )),
        Some(_) => Err(tera::Error::message(
            "`range()` made more items for this page than it may",
        )),
        None => Ok(()),
    }
}

/// The longest list one `range()` makes: Tera's own limit.
const MAX_RANGE_LEN: i128 = 100_000;

/// Tera's `range(start=0, end, step_by=1)`, with the same results and errors, charging the
/// items it makes to the page's budget.
pub fn range(kwargs: Kwargs, _: &State) -> TeraResult<Vec<i128>> {
    let start = kwargs.get::<i128>("start")?.unwrap_or_default();
    let end = kwargs.must_get::<i128>("end")?;
    let step_by = kwargs.get::<i128>("step_by")?.unwrap_or(1);
    if start > end && step_by > 0 {
        return Err(tera::Error::message(
            "Function `range` was called with a `start` argument greater than the `end` one",
        ));
    }
    if step_by == 0 {
        return Err(tera::Error::message(
            "Function `range` was called with a `step_by` argument of 0",
        ));
    }
    let len = range_len(start, end, step_by).ok_or_else(|| {
        tera::Error::message("Function `range` was called with arguments that overflow i128")
    })?;
    if len > MAX_RANGE_LEN {
        return Err(tera::Error::message(format!(
            "Function `range` would produce {len} elements, which exceeds the limit of {MAX_RANGE_LEN}"
        )));
    }
    // At most `MAX_RANGE_LEN`, so it fits.
    charge(len as usize)?;
    Ok((0..len).map(|index| start + index * step_by).collect())
}

/// How many items `range` makes, as Tera counts them; `None` on overflow.
fn range_len(start: i128, end: i128, step_by: i128) -> Option<i128> {
    if step_by > 0 {
        Some(end.checked_sub(start)?.checked_add(step_by - 1)? / step_by)
    } else if start <= end {
        Some(0)
    } else {
        let step = step_by.checked_neg()?;
        Some(start.checked_sub(end)?.checked_add(step - 1)? / step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_stops_a_page_past_its_size_or_time() {
        let limits = Limits {
            bytes: 1024 * 1024,
            ..Limits::PAGE
        };
        let mut page = PageWriter::new(0, limits, Instant::now());
        let chunk = [b'x'; 1000];
        let written = (0..10_000).take_while(|_| page.write_all(&chunk).is_ok());
        assert!(written.count() < 1400);
        assert_eq!(page.exceeded, Some(Exceeded::Bytes));
        assert!(
            page.write_all(b"").is_err(),
            "a write after the limit fails"
        );

        let late = Instant::now() - Duration::from_secs(60);
        let mut page = PageWriter::new(0, Limits::PAGE, late);
        // Tiny writes count too.
        let written = (0..1_000_000).take_while(|_| page.write_all(b"").is_ok());
        assert!(written.count() <= CHECK_EVERY / WRITE_COST);
        assert_eq!(page.exceeded, Some(Exceeded::Time));
    }

    #[test]
    fn range_gives_what_teras_own_gives() {
        let calls = [
            "range(end=5)",
            "range(start=2, end=11, step_by=3)",
            "range(start=5, end=0, step_by=-2)",
            "range(start=0, end=0)",
            "range(start=3, end=1)",
            "range(end=3, step_by=0)",
            "range(end=100001)",
            "range(end=170141183460469231731687303715884105727, start=-1)",
        ];
        for call in calls {
            let template = format!("{{{{ {call} }}}}");
            let render = |ours: bool| {
                let mut tera = tera::Tera::new();
                if ours {
                    tera.register_function("range", range);
                }
                tera.render_str(&template, &tera::Context::new(), false)
                    .map_err(|error| format!("{error:?}"))
            };
            let theirs = render(false);
            assert_eq!(render(true), theirs, "{call}");
        }
    }

    #[test]
    fn range_stops_past_the_items_of_the_page() {
        let mut tera = tera::Tera::new();
        tera.register_function("range", range);
        let nested = "{% for i in range(end=1000) %}{% for j in range(end=1000) %}\
                      {% endfor %}{% endfor %}";
        let limits = Limits {
            range_items: 10_000,
            ..Limits::PAGE
        };
        let guard = RangeGuard::start(&limits, Instant::now());
        assert!(
            tera.render_str(nested, &tera::Context::new(), false)
                .is_err()
        );
        assert_eq!(guard.exceeded(), Some(Exceeded::RangeItems));
        drop(guard);
        // Without a page rendering, nothing is charged.
        assert!(
            tera.render_str(nested, &tera::Context::new(), false)
                .is_ok()
        );

        let late = Instant::now() - Duration::from_secs(60);
        let guard = RangeGuard::start(&Limits::PAGE, late);
        assert!(
            tera.render_str(nested, &tera::Context::new(), false)
                .is_err()
        );
        assert_eq!(guard.exceeded(), Some(Exceeded::Time));
    }
}
